// Package config holds the one typed configuration of a GAS process. Values
// come from, in increasing priority: built-in defaults, an optional config
// file, the environment (GAS_*) and command-line flags. Nothing else in the
// program reads the environment; the Config is passed down explicitly.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/gas-project/gas"
)

// Config is the validated configuration of a GAS process.
type Config struct {
	// Addr is the TCP address the HTTP server listens on; port 0 picks a free port.
	Addr string
	// DataDir holds the SQLite database, the blob store and the reference bundles.
	DataDir string
	// DatabaseURL selects the database. Empty means the SQLite file
	// <DataDir>/gas.db; "sqlite:PATH" or "file:PATH" is another SQLite file;
	// postgres://… is a PostgreSQL server.
	DatabaseURL string
	// Workers is the number of annotation jobs run at once by this process.
	Workers int
	// FreeUploadLimit and PremiumUploadLimit cap one upload, in bytes, per plan.
	FreeUploadLimit    int64
	PremiumUploadLimit int64
	// LogFormat is "text" or "json"; LogLevel is debug, info, warn or error.
	LogFormat string
	LogLevel  string
	// BaseURL is the public URL of the site; empty means http://<Addr>.
	BaseURL string
	// FreeRetention is how long a Free user's results stay in hot storage.
	FreeRetention time.Duration
	// DefaultBundle is the reference bundle used for new jobs.
	DefaultBundle string
	// Bundles are the reference bundles users may choose at submission
	// (e.g. demo,grch38,grch37); empty means only DefaultBundle. Workers
	// must have each installed (gas refdata install).
	Bundles []string
	// MaxInputSize caps the decompressed bytes one job may read, so a small
	// gzip bomb cannot fill the disk or run for hours.
	MaxInputSize int64
	// JobTimeout bounds one attempt of an annotation job.
	JobTimeout time.Duration
	// ShardRecords is the most records annotated as one piece: a larger
	// input is split into pieces worked by any free worker; 0 never splits.
	ShardRecords int64
	// SMTPURL is the mail server notifications go through, e.g.
	// smtp://user:pass@mail.example.org:587 (STARTTLS when offered) or
	// smtps://…:465 (implicit TLS). Empty writes .eml files to
	// <DataDir>/outbox instead.
	SMTPURL string
	// MailFrom is the sender address of notifications.
	MailFrom string
	// ArchiveExpeditedDelay and ArchiveStandardDelay are how long the local
	// cold archive takes to retrieve an object per tier; a negative delay
	// means the tier is unavailable (to exercise the fallback).
	ArchiveExpeditedDelay time.Duration
	ArchiveStandardDelay  time.Duration
	// OIDCProvider turns on sign-in through OpenID Connect: "globus" is the
	// Globus Auth preset (issuer https://auth.globus.org); any other value is
	// the provider's display name, with OIDCIssuer naming it. Empty: local
	// accounts only.
	OIDCProvider     string
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	// S3Bucket switches job files from <DataDir>/blobs to an S3-compatible
	// object store (AWS S3, MinIO, versitygw, …); the other S3 settings say
	// how to reach it. S3PublicEndpoint is the host browsers use for
	// presigned links when it differs from S3Endpoint.
	S3Endpoint, S3PublicEndpoint, S3Region string
	S3AccessKey, S3SecretKey               string
	S3Bucket, S3Prefix                     string
	// ArchiveBucket switches the cold archive from <DataDir>/archive to S3
	// (it defaults to S3Bucket when S3 is on); ArchiveStorageClass GLACIER
	// or DEEP_ARCHIVE uses real Glacier restores, any other class emulates
	// them with the archive delays. ArchiveRestoreDays is how long a
	// restored copy stays readable in Glacier.
	ArchiveBucket, ArchivePrefix, ArchiveStorageClass string
	ArchiveRestoreDays                                int
	// WorkerDeadAfter is how long a worker process may stay silent (no
	// heartbeat) before the others take over its running jobs.
	WorkerDeadAfter time.Duration
	// Queues are the queues a worker process works: any of annotate,
	// lifecycle and notify (default all), so a farm can put annotation on
	// big machines and the light lifecycle work elsewhere.
	Queues []string
	// RequestTimeout is how long a client may take to send the body of an
	// ordinary request (a form, JSON). Uploads instead must keep up
	// UploadMinRate bytes per second averaged over each UploadRateWindow.
	// Slower clients are cut off (gas_http_slow_clients_total).
	RequestTimeout   time.Duration
	UploadMinRate    int64
	UploadRateWindow time.Duration
	// Per-plan limits (docs/lifecycle.md, "Scheduling and limits"); a zero
	// count means no limit. InputSize caps a Free input after
	// decompression (0: FreeUploadLimit; a Premium input: MaxInputSize), MaxRecords its data
	// records; RunningJobs is a user's share of the annotation queue,
	// QueuedJobs the most jobs waiting or running, UploadsPerHour the
	// uploads accepted over the last hour.
	FreeInputSize                             int64
	FreeMaxRecords, PremiumMaxRecords         int64
	FreeRunningJobs, PremiumRunningJobs       int
	FreeQueuedJobs, PremiumQueuedJobs         int
	FreeUploadsPerHour, PremiumUploadsPerHour int
	// StripeSecretKey turns on paid upgrades through Stripe Checkout; the
	// webhook secret and the Premium price are then required too.
	// StripeAPIURL replaces Stripe's API (stripe-mock in tests).
	StripeSecretKey, StripeWebhookSecret, StripePriceID, StripeAPIURL string
	// TrustedProxies are the addresses (or CIDR ranges) of the reverse
	// proxies and load balancers in front of the web servers. Only a peer
	// in this list may tell the client's address (X-Forwarded-For,
	// X-Real-IP); rate limits key on it. Empty: the peer is the client and
	// those headers are ignored.
	TrustedProxies []netip.Prefix
}

// OIDC returns the provider's display name and issuer, and whether
// sign-in through a provider is configured.
func (c Config) OIDC() (name, issuer string, ok bool) {
	switch {
	case c.OIDCProvider == "":
		return "", "", false
	case strings.EqualFold(c.OIDCProvider, "globus"):
		issuer = c.OIDCIssuer
		if issuer == "" {
			issuer = "https://auth.globus.org"
		}
		return "Globus", issuer, true
	default:
		return c.OIDCProvider, c.OIDCIssuer, true
	}
}

// setting describes one configuration value: its flag name (also the key in a
// config file), its environment variable and how to parse and show it.
type setting struct {
	name   string
	env    string
	usage  string
	secret bool
	set    func(c *Config, v string) error
	get    func(c *Config) string
}

func parseSize(v string) (int64, error) {
	n, err := humanize.ParseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("not a size (e.g. 150KB, 5GB): %q", v)
	}
	if n > 1<<62 {
		return 0, fmt.Errorf("size too large: %q", v)
	}
	return int64(n), nil
}

var settings = []setting{
	{name: "addr", env: "GAS_ADDR", usage: "HTTP listen address (host:port; port 0 picks a free one)",
		set: func(c *Config, v string) error { c.Addr = v; return nil },
		get: func(c *Config) string { return c.Addr }},
	{name: "data-dir", env: "GAS_DATA_DIR", usage: "directory for the database, files and reference bundles",
		set: func(c *Config, v string) error { c.DataDir = v; return nil },
		get: func(c *Config) string { return c.DataDir }},
	{name: "database-url", env: "GAS_DATABASE_URL", secret: true,
		usage: "database URL (default: SQLite file gas.db in the data dir)",
		set:   func(c *Config, v string) error { c.DatabaseURL = v; return nil },
		get:   func(c *Config) string { return c.DatabaseURL }},
	{name: "workers", env: "GAS_WORKERS", usage: "annotation jobs run at once (default: twice the number of CPUs)",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			c.Workers = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.Workers) }},
	{name: "free-upload-limit", env: "GAS_FREE_UPLOAD_LIMIT", usage: "largest upload of a Free user (e.g. 150KB)",
		set: func(c *Config, v string) (err error) { c.FreeUploadLimit, err = parseSize(v); return err },
		get: func(c *Config) string { return humanize.Bytes(uint64(c.FreeUploadLimit)) }},
	{name: "premium-upload-limit", env: "GAS_PREMIUM_UPLOAD_LIMIT", usage: "largest upload of a Premium user (e.g. 5GB)",
		set: func(c *Config, v string) (err error) { c.PremiumUploadLimit, err = parseSize(v); return err },
		get: func(c *Config) string { return humanize.Bytes(uint64(c.PremiumUploadLimit)) }},
	{name: "log-format", env: "GAS_LOG_FORMAT", usage: "log format: text or json",
		set: func(c *Config, v string) error { c.LogFormat = strings.ToLower(strings.TrimSpace(v)); return nil },
		get: func(c *Config) string { return c.LogFormat }},
	{name: "log-level", env: "GAS_LOG_LEVEL", usage: "log level: debug, info, warn or error",
		set: func(c *Config, v string) error { c.LogLevel = strings.ToLower(strings.TrimSpace(v)); return nil },
		get: func(c *Config) string { return c.LogLevel }},
	{name: "base-url", env: "GAS_BASE_URL", usage: "public URL of the site (default http://ADDR)",
		set: func(c *Config, v string) error { c.BaseURL = strings.TrimRight(v, "/"); return nil },
		get: func(c *Config) string { return c.BaseURL }},
	{name: "free-retention", env: "GAS_FREE_RETENTION", usage: "time a Free user's results stay before archiving (e.g. 5m)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a duration (e.g. 5m, 1h): %q", v)
			}
			c.FreeRetention = d
			return nil
		},
		get: func(c *Config) string { return c.FreeRetention.String() }},
	{name: "max-input-size", env: "GAS_MAX_INPUT_SIZE", usage: "largest decompressed input one job may read (e.g. 50GB)",
		set: func(c *Config, v string) (err error) { c.MaxInputSize, err = parseSize(v); return err },
		get: func(c *Config) string { return humanize.Bytes(uint64(c.MaxInputSize)) }},
	{name: "job-timeout", env: "GAS_JOB_TIMEOUT", usage: "longest one annotation attempt may run (e.g. 6h)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a duration (e.g. 30m, 6h): %q", v)
			}
			c.JobTimeout = d
			return nil
		},
		get: func(c *Config) string { return c.JobTimeout.String() }},
	{name: "shard-records", env: "GAS_SHARD_RECORDS", usage: "split inputs of more records into pieces annotated by any free worker (0: never)",
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("not a whole number >= 0: %q", v)
			}
			c.ShardRecords = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(c.ShardRecords, 10) }},
	{name: "default-bundle", env: "GAS_DEFAULT_BUNDLE", usage: "reference bundle used for new jobs",
		set: func(c *Config, v string) error { c.DefaultBundle = v; return nil },
		get: func(c *Config) string { return c.DefaultBundle }},
	{name: "bundles", env: "GAS_BUNDLES", usage: "reference bundles users may choose, comma-separated (default: the default bundle)",
		set: func(c *Config, v string) error {
			c.Bundles = nil
			for _, b := range strings.Split(v, ",") {
				if b = strings.TrimSpace(b); b != "" {
					c.Bundles = append(c.Bundles, b)
				}
			}
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.Bundles, ",") }},
	{name: "smtp-url", env: "GAS_SMTP_URL", secret: true,
		usage: "mail server for notifications, smtp://user:pass@host:587 or smtps://…:465 (default: .eml files in DATA_DIR/outbox)",
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
					return fmt.Errorf("not an smtp:// or smtps:// URL with a host: %q", redactURL(v))
				}
			}
			c.SMTPURL = v
			return nil
		},
		get: func(c *Config) string { return c.SMTPURL }},
	{name: "mail-from", env: "GAS_MAIL_FROM", usage: "sender address of notification emails",
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if _, err := mail.ParseAddress(v); err != nil {
				return fmt.Errorf("not an email address: %q", v)
			}
			c.MailFrom = v
			return nil
		},
		get: func(c *Config) string { return c.MailFrom }},
	{name: "archive-expedited-delay", env: "GAS_ARCHIVE_EXPEDITED_DELAY",
		usage: "time the local archive takes for an expedited retrieval (\"unavailable\" to refuse that tier)",
		set:   func(c *Config, v string) (err error) { c.ArchiveExpeditedDelay, err = parseDelay(v); return err },
		get:   func(c *Config) string { return showDelay(c.ArchiveExpeditedDelay) }},
	{name: "archive-standard-delay", env: "GAS_ARCHIVE_STANDARD_DELAY",
		usage: "time the local archive takes for a standard retrieval (\"unavailable\" to refuse that tier)",
		set:   func(c *Config, v string) (err error) { c.ArchiveStandardDelay, err = parseDelay(v); return err },
		get:   func(c *Config) string { return showDelay(c.ArchiveStandardDelay) }},
	{name: "oidc-provider", env: "GAS_OIDC_PROVIDER",
		usage: "sign-in provider: \"globus\" (Globus Auth preset) or a display name for oidc-issuer (default: local accounts only)",
		set:   func(c *Config, v string) error { c.OIDCProvider = strings.TrimSpace(v); return nil },
		get:   func(c *Config) string { return c.OIDCProvider }},
	{name: "oidc-issuer", env: "GAS_OIDC_ISSUER", usage: "OpenID Connect issuer URL of the sign-in provider",
		// Kept exactly as given: go-oidc compares it with the discovery
		// document's issuer, and some providers end theirs with a slash.
		set: func(c *Config, v string) error { c.OIDCIssuer = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return c.OIDCIssuer }},
	{name: "oidc-client-id", env: "GAS_OIDC_CLIENT_ID", usage: "client ID registered with the sign-in provider",
		set: func(c *Config, v string) error { c.OIDCClientID = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return c.OIDCClientID }},
	{name: "oidc-client-secret", env: "GAS_OIDC_CLIENT_SECRET", secret: true, usage: "client secret for the sign-in provider",
		set: func(c *Config, v string) error { c.OIDCClientSecret = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return c.OIDCClientSecret }},
	str("s3-endpoint", "GAS_S3_ENDPOINT", "S3 endpoint URL (default: AWS); path-style addressing is used", false, func(c *Config) *string { return &c.S3Endpoint }),
	str("s3-public-endpoint", "GAS_S3_PUBLIC_ENDPOINT", "S3 endpoint browsers use for presigned links (default: s3-endpoint)", false, func(c *Config) *string { return &c.S3PublicEndpoint }),
	str("s3-region", "GAS_S3_REGION", "S3 region", false, func(c *Config) *string { return &c.S3Region }),
	str("s3-access-key", "GAS_S3_ACCESS_KEY", "S3 access key ID", false, func(c *Config) *string { return &c.S3AccessKey }),
	str("s3-secret-key", "GAS_S3_SECRET_KEY", "S3 secret access key", true, func(c *Config) *string { return &c.S3SecretKey }),
	str("s3-bucket", "GAS_S3_BUCKET", "S3 bucket for job files (default: files in DATA_DIR/blobs)", false, func(c *Config) *string { return &c.S3Bucket }),
	str("s3-prefix", "GAS_S3_PREFIX", "key prefix inside the S3 bucket", false, func(c *Config) *string { return &c.S3Prefix }),
	str("archive-bucket", "GAS_ARCHIVE_BUCKET", "S3 bucket of the cold archive (default: s3-bucket when set, else files in DATA_DIR/archive)", false, func(c *Config) *string { return &c.ArchiveBucket }),
	str("archive-prefix", "GAS_ARCHIVE_PREFIX", "key prefix of the cold archive in S3", false, func(c *Config) *string { return &c.ArchivePrefix }),
	str("archive-storage-class", "GAS_ARCHIVE_STORAGE_CLASS", "S3 storage class of archived results: GLACIER or DEEP_ARCHIVE restore through Glacier", false, func(c *Config) *string { return &c.ArchiveStorageClass }),
	{name: "archive-restore-days", env: "GAS_ARCHIVE_RESTORE_DAYS", usage: "days a Glacier-restored copy stays readable",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return fmt.Errorf("not a positive whole number: %q", v)
			}
			c.ArchiveRestoreDays = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.ArchiveRestoreDays) }},
	{name: "worker-dead-after", env: "GAS_WORKER_DEAD_AFTER", usage: "silence after which a worker's running jobs go to the others (e.g. 45s)",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < time.Second {
				return fmt.Errorf("not a duration of at least 1s: %q", v)
			}
			c.WorkerDeadAfter = d
			return nil
		},
		get: func(c *Config) string { return c.WorkerDeadAfter.String() }},
	{name: "queues", env: "GAS_QUEUES", usage: "queues this process works: annotate, lifecycle, notify (comma-separated)",
		set: func(c *Config, v string) error {
			c.Queues = nil
			for _, q := range strings.Split(v, ",") {
				if q = strings.TrimSpace(q); q != "" {
					c.Queues = append(c.Queues, q)
				}
			}
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.Queues, ",") }},
	duration("request-timeout", "GAS_REQUEST_TIMEOUT", "longest a client may take to send a form or JSON body (e.g. 10s)",
		time.Second, func(c *Config) *time.Duration { return &c.RequestTimeout }),
	{name: "upload-min-rate", env: "GAS_UPLOAD_MIN_RATE", usage: "bytes per second an upload must keep up, averaged over the upload rate window (e.g. 10KB)",
		set: func(c *Config, v string) (err error) { c.UploadMinRate, err = parseSize(v); return err },
		get: func(c *Config) string { return humanize.Bytes(uint64(c.UploadMinRate)) }},
	duration("upload-rate-window", "GAS_UPLOAD_RATE_WINDOW", "time over which an upload's rate is averaged (e.g. 30s)",
		time.Second, func(c *Config) *time.Duration { return &c.UploadRateWindow }),
	{name: "free-input-size", env: "GAS_FREE_INPUT_SIZE", usage: "largest input of a Free user after decompression (default: the free upload limit)",
		set: func(c *Config, v string) (err error) { c.FreeInputSize, err = parseSize(v); return err },
		get: func(c *Config) string { return humanize.Bytes(uint64(c.FreeInputSize)) }},
	count64("free-max-records", "GAS_FREE_MAX_RECORDS", "most data records in one input of a Free user (0: no limit)", func(c *Config) *int64 { return &c.FreeMaxRecords }),
	count64("premium-max-records", "GAS_PREMIUM_MAX_RECORDS", "most data records in one input of a Premium user (0: no limit)", func(c *Config) *int64 { return &c.PremiumMaxRecords }),
	count("free-running-jobs", "GAS_FREE_RUNNING_JOBS", "jobs of one Free user worked at once; the others wait their turn (0: no limit)", func(c *Config) *int { return &c.FreeRunningJobs }),
	count("premium-running-jobs", "GAS_PREMIUM_RUNNING_JOBS", "jobs of one Premium user worked at once; the others wait their turn (0: no limit)", func(c *Config) *int { return &c.PremiumRunningJobs }),
	count("free-queued-jobs", "GAS_FREE_QUEUED_JOBS", "jobs one Free user may have waiting or running (0: no limit)", func(c *Config) *int { return &c.FreeQueuedJobs }),
	count("premium-queued-jobs", "GAS_PREMIUM_QUEUED_JOBS", "jobs one Premium user may have waiting or running (0: no limit)", func(c *Config) *int { return &c.PremiumQueuedJobs }),
	count("free-uploads-per-hour", "GAS_FREE_UPLOADS_PER_HOUR", "uploads one Free user may make per hour (0: no limit)", func(c *Config) *int { return &c.FreeUploadsPerHour }),
	count("premium-uploads-per-hour", "GAS_PREMIUM_UPLOADS_PER_HOUR", "uploads one Premium user may make per hour (0: no limit)", func(c *Config) *int { return &c.PremiumUploadsPerHour }),
	str("stripe-secret-key", "GAS_STRIPE_SECRET_KEY", "Stripe secret key; turns on Premium upgrades through Stripe Checkout", true, func(c *Config) *string { return &c.StripeSecretKey }),
	str("stripe-webhook-secret", "GAS_STRIPE_WEBHOOK_SECRET", "signing secret of the Stripe webhook endpoint (/stripe/webhook)", true, func(c *Config) *string { return &c.StripeWebhookSecret }),
	str("stripe-price-id", "GAS_STRIPE_PRICE_ID", "Stripe Price of the Premium subscription", false, func(c *Config) *string { return &c.StripePriceID }),
	str("stripe-api-url", "GAS_STRIPE_API_URL", "Stripe API base URL (default: Stripe; stripe-mock for testing)", false, func(c *Config) *string { return &c.StripeAPIURL }),
	{name: "trusted-proxies", env: "GAS_TRUSTED_PROXIES",
		usage: "addresses or CIDR ranges of the proxies in front of the site, comma-separated; only they may set X-Forwarded-For (default: none)",
		set:   func(c *Config, v string) (err error) { c.TrustedProxies, err = ParsePrefixes(v); return err },
		get: func(c *Config) string {
			out := make([]string, len(c.TrustedProxies))
			for i, p := range c.TrustedProxies {
				out[i] = p.String()
			}
			return strings.Join(out, ",")
		}},
}

// ParsePrefixes reads a comma-separated list of IP addresses and CIDR
// ranges; a bare address is a range of one. Host bits set in a range
// (10.0.0.1/8) are refused: such a typo would trust more or other
// addresses than the operator meant.
func ParsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("not an IP range (e.g. 10.0.0.0/8): %q", f)
			}
			if p.Masked() != p {
				return nil, fmt.Errorf("%q has host bits set; did you mean %s?", f, p.Masked())
			}
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("not an IP address or range (e.g. 10.0.0.5, 10.0.0.0/8): %q", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// str is a plain string setting stored in the field field returns.
func str(name, env, usage string, secret bool, field func(c *Config) *string) setting {
	return setting{name: name, env: env, usage: usage, secret: secret,
		set: func(c *Config, v string) error { *field(c) = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return *field(c) }}
}

// count is a whole number >= 0 stored in the field field returns.
func count(name, env, usage string, field func(c *Config) *int) setting {
	return setting{name: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return fmt.Errorf("not a whole number >= 0: %q", v)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) }}
}

// count64 is count for an int64 field.
func count64(name, env, usage string, field func(c *Config) *int64) setting {
	return setting{name: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("not a whole number >= 0: %q", v)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(*field(c), 10) }}
}

// duration is a duration setting of at least least, stored in the field
// field returns.
func duration(name, env, usage string, least time.Duration, field func(c *Config) *time.Duration) setting {
	return setting{name: name, env: env, usage: usage,
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < least {
				return fmt.Errorf("not a duration of at least %s: %q", least, v)
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string { return field(c).String() }}
}

// parseDelay reads a retrieval delay: a duration, or "unavailable" (-1).
func parseDelay(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "unavailable") {
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("not a duration (e.g. 2s, 10s) or \"unavailable\": %q", v)
	}
	return d, nil
}

func showDelay(d time.Duration) string {
	if d < 0 {
		return "unavailable"
	}
	return d.String()
}

// Default returns the embedded defaults: everything on this machine under ./gas-data.
func Default() Config {
	return Config{
		Addr:    "127.0.0.1:8080",
		DataDir: "gas-data",
		// Twice the cores: a small job waits on storage and the database
		// about as long as it computes, so two per core keep the cores busy
		// (500 demo jobs over HTTP on 2 cores: 34.7 jobs/s with 2 workers,
		// 61.0 with 4, 53.5 with 8 — docs/benchmarks.md). A large job uses
		// every core by itself, so extra workers cost memory, not speed.
		Workers:            2 * runtime.NumCPU(),
		FreeUploadLimit:    150_000,
		PremiumUploadLimit: 5_000_000_000,
		LogFormat:          "text",
		LogLevel:           "info",
		FreeRetention:      5 * time.Minute,
		DefaultBundle:      "demo",
		MaxInputSize:       50_000_000_000,
		JobTimeout:         6 * time.Hour,
		ShardRecords:       1_000_000,
		MailFrom:           "GAS <gas@localhost>",
		// As issue 4 asks: the local archive's tiers behave like Glacier's,
		// only much faster, so the whole restore can be watched on one machine.
		ArchiveExpeditedDelay: 2 * time.Second,
		ArchiveStandardDelay:  10 * time.Second,
		S3Region:              "us-east-1",
		Queues:                gas.Queues(),
		// Nine missed heartbeats (every 5 s): a long GC pause or a busy
		// database does not look like a dead worker.
		WorkerDeadAfter:    45 * time.Second,
		ArchiveRestoreDays: 1,
		// A form or JSON body is a few hundred bytes: ten seconds is ample
		// on any working connection and short enough that a client holding
		// connections open costs little. Uploads may take hours, but must
		// keep moving: 10 kB/s over 30 s is a slow mobile link.
		RequestTimeout:   10 * time.Second,
		UploadMinRate:    10_000,
		UploadRateWindow: 30 * time.Second,
		// A Free input is 150 kB of VCF text however it is sent: gzip
		// compresses VCF 10-30 times, and a limit on the bytes sent alone
		// let a 135 kB gzip of 396,000 records through (issue 17).
		// (FreeInputSize 0: the same as FreeUploadLimit.) The byte limit
		// bounds records too (150 kB hold at most 9,375 records), so
		// FreeMaxRecords is left to the operator.
		// Shares of the queue: with the default 2 workers per core, two
		// Free users or one Premium user fill a 2-core machine, and a
		// backlog never delays another user's job by more than the share.
		FreeRunningJobs:       2,
		PremiumRunningJobs:    4,
		FreeQueuedJobs:        20,
		PremiumQueuedJobs:     1000,
		FreeUploadsPerHour:    60,
		PremiumUploadsPerHour: 1000,
	}
}

// Limits returns what plan allows a user. A plan's input never exceeds
// MaxInputSize after decompression: the upload check stops there, as the
// worker would.
func (c Config) Limits(plan gas.Plan) gas.PlanLimits {
	if plan == gas.PlanPremium {
		return gas.PlanLimits{UploadBytes: c.PremiumUploadLimit, InputBytes: c.MaxInputSize, InputRecords: c.PremiumMaxRecords,
			RunningJobs: c.PremiumRunningJobs, QueuedJobs: c.PremiumQueuedJobs, UploadsPerHour: c.PremiumUploadsPerHour}
	}
	input := c.FreeInputSize
	if input == 0 {
		input = c.FreeUploadLimit
	}
	return gas.PlanLimits{UploadBytes: c.FreeUploadLimit, InputBytes: min(input, c.MaxInputSize), InputRecords: c.FreeMaxRecords,
		RunningJobs: c.FreeRunningJobs, QueuedJobs: c.FreeQueuedJobs, UploadsPerHour: c.FreeUploadsPerHour}
}

// Flags binds the settings to a FlagSet so that only flags given on the
// command line override the file and environment.
type Flags struct {
	fs     *flag.FlagSet
	values map[string]*string
	file   *string
}

// Bind registers one string flag per setting, plus --config, on fs. The
// flags carry no defaults of their own: unset flags leave lower layers alone.
func Bind(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: map[string]*string{}}
	def := Default()
	for _, s := range settings {
		usage := s.usage
		if v := s.get(&def); v != "" && v != "0" && !strings.Contains(usage, "default") {
			usage += " (default " + v + ")"
		}
		f.values[s.name] = fs.String(s.name, "", usage+" [$"+s.env+"]")
	}
	f.file = fs.String("config", "", "config file of key = value lines (keys are flag names) [$GAS_CONFIG]")
	return f
}

// Load builds the configuration from defaults, the config file (from --config
// or GAS_CONFIG), env and the flags that were set on the command line, then
// validates it. env maps variable names to values.
func (f *Flags) Load(env map[string]string) (Config, error) {
	set := map[string]string{}
	f.fs.Visit(func(fl *flag.Flag) {
		if v, ok := f.values[fl.Name]; ok {
			set[fl.Name] = *v
		}
	})
	file := env["GAS_CONFIG"]
	if *f.file != "" {
		file = *f.file
	}
	return Load(file, env, set)
}

// Load builds and validates a configuration. file may be empty; flags maps
// setting names to values given on the command line.
func Load(file string, env map[string]string, flags map[string]string) (Config, error) {
	c := Default()
	if file != "" {
		fh, err := os.Open(file)
		if err != nil {
			return c, fmt.Errorf("config: open file: %w", err)
		}
		err = c.applyFile(fh, file)
		fh.Close()
		if err != nil {
			return c, err
		}
	}
	for _, s := range settings {
		v, ok := env[s.env]
		if s.secret && env[s.env+"_FILE"] != "" {
			// Secrets may come from a file (Docker/Kubernetes secrets), so
			// they need not sit in the environment of every child process.
			b, err := os.ReadFile(env[s.env+"_FILE"])
			if err != nil {
				return c, fmt.Errorf("config: %s_FILE: %w", s.env, err)
			}
			v, ok = strings.TrimSpace(string(b)), true
		}
		if ok && v != "" {
			if err := s.set(&c, v); err != nil {
				return c, fmt.Errorf("config: %s: %w", s.env, err)
			}
		}
	}
	for _, s := range settings {
		if v, ok := flags[s.name]; ok {
			if err := s.set(&c, v); err != nil {
				return c, fmt.Errorf("config: --%s: %w", s.name, err)
			}
		}
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// applyFile reads "key = value" lines; blank lines and lines starting with #
// are ignored. Unknown keys are errors so a typo does not go unnoticed.
func (c *Config) applyFile(r io.Reader, name string) error {
	byName := map[string]setting{}
	for _, s := range settings {
		byName[s.name] = s
	}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, v, ok := strings.Cut(text, "=")
		if !ok {
			return fmt.Errorf("config: %s:%d: expected key = value", name, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		v = strings.Trim(v, `"`)
		s, known := byName[k]
		if !known {
			return fmt.Errorf("config: %s:%d: unknown key %q", name, line, k)
		}
		if err := s.set(c, v); err != nil {
			return fmt.Errorf("config: %s:%d: %s: %w", name, line, k, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("config: read %s: %w", name, err)
	}
	return nil
}

// Validate checks every value and reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q is not host:port (e.g. 127.0.0.1:8080)", c.Addr))
	}
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data-dir must not be empty"))
	}
	if c.DatabaseURL != "" {
		if _, _, err := Database(c.DatabaseURL, c.DataDir); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Workers < 1 || c.Workers > 1024 {
		errs = append(errs, fmt.Errorf("workers must be between 1 and 1024, got %d", c.Workers))
	}
	if c.FreeUploadLimit <= 0 {
		errs = append(errs, errors.New("free-upload-limit must be positive"))
	}
	if c.PremiumUploadLimit < c.FreeUploadLimit {
		errs = append(errs, errors.New("premium-upload-limit must be at least free-upload-limit"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log-format must be text or json, got %q", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level must be debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base-url must be an http(s) URL, got %q", c.BaseURL))
		}
	}
	if c.MaxInputSize <= 0 {
		errs = append(errs, errors.New("max-input-size must be positive"))
	}
	if c.JobTimeout < time.Second {
		errs = append(errs, errors.New("job-timeout must be at least 1s"))
	}
	if c.FreeRetention <= 0 {
		errs = append(errs, errors.New("free-retention must be positive"))
	}
	if c.DefaultBundle == "" || strings.ContainsAny(c.DefaultBundle, `/\`) || strings.HasPrefix(c.DefaultBundle, ".") {
		errs = append(errs, fmt.Errorf("default-bundle must be a plain bundle name, got %q", c.DefaultBundle))
	}
	if _, issuer, ok := c.OIDC(); ok {
		u, err := url.Parse(issuer)
		if issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("oidc-issuer must be the provider's http(s) issuer URL, got %q", issuer))
		}
		if c.OIDCClientID == "" {
			errs = append(errs, errors.New("oidc-client-id is required when oidc-provider is set"))
		}
	}
	if c.S3Bucket != "" || c.ArchiveBucket != "" {
		if c.S3AccessKey == "" || c.S3SecretKey == "" || c.S3Region == "" {
			errs = append(errs, errors.New("s3-access-key, s3-secret-key and s3-region are required when an S3 bucket is set"))
		}
		for _, e := range []struct{ name, v string }{{"s3-endpoint", c.S3Endpoint}, {"s3-public-endpoint", c.S3PublicEndpoint}} {
			if e.v == "" {
				continue
			}
			if u, err := url.Parse(e.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs = append(errs, fmt.Errorf("%s must be an http(s) URL, got %q", e.name, e.v))
			}
		}
	}
	for _, b := range c.Bundles {
		if b == "" || strings.ContainsAny(b, `/\`) || strings.HasPrefix(b, ".") {
			errs = append(errs, fmt.Errorf("bundles: %q is not a plain bundle name", b))
		}
	}
	if len(c.Bundles) > 0 && !slices.Contains(c.Bundles, c.DefaultBundle) {
		errs = append(errs, fmt.Errorf("bundles must include the default bundle %q", c.DefaultBundle))
	}
	queues := strings.Join(gas.Queues(), ", ")
	if len(c.Queues) == 0 {
		errs = append(errs, fmt.Errorf("queues must name at least one of %s", queues))
	}
	for _, q := range c.Queues {
		if !slices.Contains(gas.Queues(), q) {
			errs = append(errs, fmt.Errorf("queues: unknown queue %q (use %s)", q, queues))
		}
	}
	if c.UploadMinRate < 1 {
		errs = append(errs, errors.New("upload-min-rate must be at least 1 byte per second"))
	}
	if c.StripeSecretKey != "" && (c.StripeWebhookSecret == "" || c.StripePriceID == "") {
		errs = append(errs, errors.New("stripe-webhook-secret and stripe-price-id are required with stripe-secret-key"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: invalid: %w", errors.Join(errs...))
	}
	return nil
}

// Database kinds returned by Database.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Database says which database a URL selects and how to reach it: for
// SQLite the file ("" means <dataDir>/gas.db; "sqlite:PATH" or "file:PATH"
// another file), for PostgreSQL the URL itself (postgres://…).
func Database(databaseURL, dataDir string) (kind, target string, err error) {
	switch {
	case databaseURL == "":
		return SQLite, filepath.Join(dataDir, "gas.db"), nil
	case strings.HasPrefix(databaseURL, "sqlite://"):
		return SQLite, strings.TrimPrefix(databaseURL, "sqlite://"), nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return SQLite, strings.TrimPrefix(databaseURL, "sqlite:"), nil
	case strings.HasPrefix(databaseURL, "file:"):
		return SQLite, strings.TrimPrefix(databaseURL, "file:"), nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		if _, err := url.Parse(databaseURL); err != nil {
			return "", "", errors.New("database-url is not a valid postgres:// URL")
		}
		return Postgres, databaseURL, nil
	default:
		return "", "", errors.New("database-url must start with postgres://, sqlite: or file: (or be empty for the default)")
	}
}

// Redacted returns "name=value" lines for logging, with secrets masked
// (a database URL may carry a password).
func (c *Config) Redacted() []string {
	out := make([]string, 0, len(settings))
	for _, s := range settings {
		v := s.get(c)
		if s.secret && v != "" {
			v = redactURL(v)
		}
		out = append(out, s.name+"="+v)
	}
	sort.Strings(out)
	return out
}

// redactURL keeps the scheme, host and path of a URL so logs stay useful, and
// hides any user info and query (where passwords live).
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return "REDACTED"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.String()
}

// EnvMap turns os.Environ-style "K=V" entries into a map.
func EnvMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// OfferedBundles are the bundles users may choose, the default first.
func (c Config) OfferedBundles() []string {
	out := []string{c.DefaultBundle}
	for _, b := range c.Bundles {
		if b != c.DefaultBundle {
			out = append(out, b)
		}
	}
	return out
}
