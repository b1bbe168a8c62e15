package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if c.Addr != "127.0.0.1:8080" || c.FreeUploadLimit != 150_000 || c.FreeRetention != 5*time.Minute {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "gas.conf")
	conf := "# comment\naddr = 127.0.0.1:9000\nworkers = 3\nlog-format = json\nfree-upload-limit = 1MB\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Bind(fs)
	if err := fs.Parse([]string{"--config", file, "--workers", "7"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GAS_ADDR": "127.0.0.1:9100", "GAS_WORKERS": "5", "GAS_DATA_DIR": "/tmp/x"}
	c, err := f.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9100" {
		t.Errorf("Addr = %q, want env value over file", c.Addr)
	}
	if c.Workers != 7 {
		t.Errorf("Workers = %d, want flag value 7", c.Workers)
	}
	if c.LogFormat != "json" {
		t.Errorf("LogFormat = %q, want file value", c.LogFormat)
	}
	if c.FreeUploadLimit != 1_000_000 {
		t.Errorf("FreeUploadLimit = %d, want 1000000", c.FreeUploadLimit)
	}
	if c.DataDir != "/tmp/x" {
		t.Errorf("DataDir = %q", c.DataDir)
	}
}

func TestValidationMessages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		env   map[string]string
		flags map[string]string
		want  string
	}{
		{"bad addr", nil, map[string]string{"addr": "nonsense"}, "not host:port"},
		{"zero workers", map[string]string{"GAS_WORKERS": "0"}, nil, "workers must be between"},
		{"workers not a number", map[string]string{"GAS_WORKERS": "many"}, nil, "GAS_WORKERS: not a whole number"},
		{"bad size", nil, map[string]string{"free-upload-limit": "lots"}, "not a size"},
		{"bad format", map[string]string{"GAS_LOG_FORMAT": "xml"}, nil, "log-format must be text or json"},
		{"bad level", map[string]string{"GAS_LOG_LEVEL": "loud"}, nil, "log-level must be"},
		{"bad retention", map[string]string{"GAS_FREE_RETENTION": "soon"}, nil, "not a duration"},
		{"unknown database", map[string]string{"GAS_DATABASE_URL": "mysql://u:p@h/db"}, nil, "database-url must start with"},
		{"bad base url", nil, map[string]string{"base-url": "ftp://x"}, "base-url must be"},
		{"zero input cap", map[string]string{"GAS_MAX_INPUT_SIZE": "0"}, nil, "max-input-size must be positive"},
		{"bad timeout", map[string]string{"GAS_JOB_TIMEOUT": "forever"}, nil, "not a duration"},
		{"premium below free", map[string]string{"GAS_PREMIUM_UPLOAD_LIMIT": "1KB"}, nil, "premium-upload-limit"},
		{"smtp not a url", map[string]string{"GAS_SMTP_URL": "mail.example.org:25"}, nil, "not an smtp:// or smtps:// URL"},
		{"smtp password not echoed", map[string]string{"GAS_SMTP_URL": "http://u:hunter2@h"}, nil, "not an smtp://"},
		{"bad sender", nil, map[string]string{"mail-from": "nobody"}, "not an email address"},
		{"oidc without issuer", map[string]string{"GAS_OIDC_PROVIDER": "Example", "GAS_OIDC_CLIENT_ID": "c"}, nil, "oidc-issuer must be"},
		{"oidc without client", map[string]string{"GAS_OIDC_PROVIDER": "globus"}, nil, "oidc-client-id is required"},
		{"s3 without keys", map[string]string{"GAS_S3_BUCKET": "gas"}, nil, "s3-access-key, s3-secret-key and s3-region are required"},
		{"s3 bad endpoint", map[string]string{"GAS_S3_BUCKET": "gas", "GAS_S3_ACCESS_KEY": "k", "GAS_S3_SECRET_KEY": "s", "GAS_S3_ENDPOINT": "minio:9000"}, nil, "s3-endpoint must be an http(s) URL"},
		{"stripe half configured", map[string]string{"GAS_STRIPE_SECRET_KEY": "sk_test_x"}, nil, "stripe-webhook-secret and stripe-price-id are required"},
		{"bad restore days", map[string]string{"GAS_ARCHIVE_RESTORE_DAYS": "0"}, nil, "not a positive whole number"},
		{"bundles without the default", map[string]string{"GAS_BUNDLES": "grch38,grch37"}, nil, `must include the default bundle "demo"`},
		{"unknown queue", map[string]string{"GAS_QUEUES": "annotate,email"}, nil, `unknown queue "email"`},
		{"bad archive delay", map[string]string{"GAS_ARCHIVE_STANDARD_DELAY": "-3s"}, nil, "or \"unavailable\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load("", tc.env, tc.flags)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("addr = 127.0.0.1:1\nwokers = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad, nil, nil); err == nil || !strings.Contains(err.Error(), `bad.conf:2: unknown key "wokers"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.conf"), nil, nil); err == nil || !strings.Contains(err.Error(), "open file") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedactedHidesDatabasePassword(t *testing.T) {
	t.Parallel()
	c := Default()
	c.DatabaseURL = "postgres://gas:hunter2@db.example:5432/gas?password=hunter2"
	joined := strings.Join(c.Redacted(), "\n")
	if strings.Contains(joined, "hunter2") {
		t.Fatalf("secret leaked: %s", joined)
	}
	if !strings.Contains(joined, "db.example:5432") || !strings.Contains(joined, "addr=127.0.0.1:8080") {
		t.Fatalf("redacted output lost useful detail: %s", joined)
	}
}

func TestDatabaseKinds(t *testing.T) {
	t.Parallel()
	cases := []struct{ url, kind, target string }{
		{"", SQLite, filepath.Join("d", "gas.db")},
		{"sqlite:/x/y.db", SQLite, "/x/y.db"},
		{"file:rel.db", SQLite, "rel.db"},
		{"postgres://u@h:5432/db?sslmode=disable", Postgres, "postgres://u@h:5432/db?sslmode=disable"},
	}
	for _, c := range cases {
		kind, target, err := Database(c.url, "d")
		if err != nil || kind != c.kind || target != c.target {
			t.Errorf("Database(%q) = %s %s %v", c.url, kind, target, err)
		}
	}
}

func TestSecretFromFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(f, []byte("postgres://gas:pw@127.0.0.1:5432/gas\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", map[string]string{"GAS_DATABASE_URL_FILE": f}, nil)
	if err != nil || c.DatabaseURL != "postgres://gas:pw@127.0.0.1:5432/gas" {
		t.Fatalf("DatabaseURL = %q, %v", c.DatabaseURL, err)
	}
	if _, err := Load("", map[string]string{"GAS_DATABASE_URL_FILE": f + ".missing"}, nil); err == nil {
		t.Fatal("missing secret file accepted")
	}
}

func TestArchiveDelays(t *testing.T) {
	t.Parallel()
	c, err := Load("", map[string]string{"GAS_ARCHIVE_EXPEDITED_DELAY": "Unavailable", "GAS_ARCHIVE_STANDARD_DELAY": "0s",
		"GAS_SMTP_URL": "smtp://u:hunter2@127.0.0.1:1025"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ArchiveExpeditedDelay >= 0 || c.ArchiveStandardDelay != 0 {
		t.Fatalf("delays = %v, %v; want unavailable (<0) and 0", c.ArchiveExpeditedDelay, c.ArchiveStandardDelay)
	}
	joined := strings.Join(c.Redacted(), "\n")
	if !strings.Contains(joined, "archive-expedited-delay=unavailable") || strings.Contains(joined, "hunter2") {
		t.Fatalf("redacted config: %s", joined)
	}
}

func TestOIDCPresets(t *testing.T) {
	t.Parallel()
	c, err := Load("", map[string]string{"GAS_OIDC_PROVIDER": "globus", "GAS_OIDC_CLIENT_ID": "id", "GAS_OIDC_CLIENT_SECRET": "s3cret"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if name, iss, ok := c.OIDC(); !ok || name != "Globus" || iss != "https://auth.globus.org" {
		t.Fatalf("globus preset = %q %q %v", name, iss, ok)
	}
	if strings.Contains(strings.Join(c.Redacted(), " "), "s3cret") {
		t.Fatal("client secret in the logged config")
	}
	if _, _, ok := Default().OIDC(); ok {
		t.Fatal("the embedded default must use local accounts only")
	}
}

func TestS3AndStripeSecretsRedacted(t *testing.T) {
	t.Parallel()
	c, err := Load("", map[string]string{"GAS_S3_BUCKET": "gas", "GAS_S3_ACCESS_KEY": "AKIA1", "GAS_S3_SECRET_KEY": "s3-hunter2",
		"GAS_S3_ENDPOINT": "http://127.0.0.1:9000", "GAS_STRIPE_SECRET_KEY": "sk_test_hunter2", "GAS_STRIPE_WEBHOOK_SECRET": "whsec_hunter2",
		"GAS_STRIPE_PRICE_ID": "price_1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3Region != "us-east-1" || c.ArchiveRestoreDays != 1 {
		t.Fatalf("defaults: region %q, restore days %d", c.S3Region, c.ArchiveRestoreDays)
	}
	if joined := strings.Join(c.Redacted(), " "); strings.Contains(joined, "hunter2") || !strings.Contains(joined, "s3-bucket=gas") {
		t.Fatalf("redacted: %s", joined)
	}
}

func TestOfferedBundles(t *testing.T) {
	t.Parallel()
	c, err := Load("", map[string]string{"GAS_BUNDLES": "grch38, demo,grch37", "GAS_DEFAULT_BUNDLE": "grch38"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.OfferedBundles(), ","); got != "grch38,demo,grch37" {
		t.Fatalf("offered = %s", got)
	}
	if got := strings.Join(Default().OfferedBundles(), ","); got != "demo" {
		t.Fatalf("default offered = %s", got)
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	c, err := Load("", map[string]string{"GAS_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,::ffff:172.16.0.1, fd00::/8,"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "172.16.0.1/32", "fd00::/8"}
	if len(c.TrustedProxies) != len(want) {
		t.Fatalf("TrustedProxies = %v, want %v", c.TrustedProxies, want)
	}
	for i, p := range c.TrustedProxies {
		if p.String() != want[i] {
			t.Errorf("TrustedProxies[%d] = %s, want %s", i, p, want[i])
		}
	}
	if !strings.Contains(strings.Join(c.Redacted(), "\n"), "trusted-proxies=10.0.0.0/8,192.168.1.7/32,172.16.0.1/32,fd00::/8") {
		t.Errorf("Redacted lacks the proxies: %v", c.Redacted())
	}
	if d := Default(); len(d.TrustedProxies) != 0 {
		t.Errorf("default trusts %v; want no proxy", d.TrustedProxies)
	}
	for _, bad := range []string{"10.0.0.1/8", "proxy.local", "10.0.0.0/33", "fe80::1%eth0", "1.2.3"} {
		_, err := Load("", map[string]string{"GAS_TRUSTED_PROXIES": bad}, nil)
		if err == nil || !strings.Contains(err.Error(), "GAS_TRUSTED_PROXIES") {
			t.Errorf("%q: err = %v, want a GAS_TRUSTED_PROXIES error", bad, err)
		}
	}
}

// TestPlanLimitsConfig: the per-plan limits come from the settings; a
// Free input is capped after decompression at free-input-size (by default
// the upload limit) and never above max-input-size, a Premium one at
// max-input-size; counts refuse negatives.
func TestPlanLimitsConfig(t *testing.T) {
	t.Parallel()
	c, err := Load("", map[string]string{"GAS_FREE_RUNNING_JOBS": "3", "GAS_PREMIUM_QUEUED_JOBS": "0", "GAS_MAX_INPUT_SIZE": "1GB"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	free, premium := c.Limits(gas.PlanFree), c.Limits(gas.PlanPremium)
	if free.RunningJobs != 3 || free.QueuedJobs != 20 || free.UploadsPerHour != 60 || free.InputBytes != c.FreeUploadLimit || free.UploadBytes != 150_000 {
		t.Errorf("free limits %+v", free)
	}
	if premium.RunningJobs != 4 || premium.QueuedJobs != 0 || premium.InputBytes != 1_000_000_000 || premium.UploadBytes != c.PremiumUploadLimit {
		t.Errorf("premium limits %+v", premium)
	}
	c, err = Load("", map[string]string{"GAS_FREE_INPUT_SIZE": "10MB", "GAS_MAX_INPUT_SIZE": "2MB"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Limits(gas.PlanFree).InputBytes; got != 2_000_000 {
		t.Errorf("free input limit %d, want max-input-size 2 MB", got)
	}
	for _, env := range []string{"GAS_FREE_RUNNING_JOBS", "GAS_PREMIUM_UPLOADS_PER_HOUR", "GAS_FREE_MAX_RECORDS"} {
		if _, err := Load("", map[string]string{env: "-1"}, nil); err == nil || !strings.Contains(err.Error(), "not a whole number >= 0") {
			t.Errorf("%s=-1: %v", env, err)
		}
	}
}
