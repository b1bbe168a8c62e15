package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/api"
)

// The client talks to a GAS server's JSON API with a personal access token
// from the environment (GAS_TOKEN): a token on the command line would show
// in the process list and the shell history.
const clientUsage = `Use a GAS server from the command line, through its JSON API.

Commands:
  gas client submit FILE [--transcripts all|canonical|mane|pick] [--bundle NAME] [--name NAME]
                    [--skip-malformed] [--wait]
  gas client list [--page N]
  gas client status ID
  gas client download ID [-o FILE]
  gas client export ID [--format vcf|tsv|json|xlsx] [--filter QUERY] [-o FILE]
  gas client cancel ID

Environment:
  GAS_URL    the server, e.g. https://gas.example.org (default http://127.0.0.1:8080)
  GAS_TOKEN  a personal access token (make one on your profile page)`

func runClient(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(e.stderr, clientUsage)
		if len(args) == 0 {
			return usagef("gas client needs a command")
		}
		return nil
	}
	c, err := newAPIClient(e)
	if err != nil {
		return err
	}
	switch args[0] {
	case "submit":
		return c.submit(ctx, args[1:])
	case "list":
		return c.list(ctx, args[1:])
	case "status":
		return c.status(ctx, args[1:])
	case "download":
		return c.download(ctx, args[1:])
	case "cancel":
		return c.cancel(ctx, args[1:])
	case "export":
		return c.export(ctx, args[1:])
	}
	return usagef("unknown client command %q (submit, list, status, download, export, cancel)", args[0])
}

type apiClient struct {
	e     *env
	base  string
	token string
	http  *http.Client
}

func newAPIClient(e *env) (*apiClient, error) {
	base := strings.TrimRight(e.vars["GAS_URL"], "/")
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("GAS_URL must be the server's http(s) URL, got %q", base)
	}
	token := strings.TrimSpace(e.vars["GAS_TOKEN"])
	if token == "" {
		return nil, errors.New("set GAS_TOKEN to a personal access token (make one on your profile page)")
	}
	// No overall timeout: uploads and downloads of large files take as long
	// as they take; connection set-up is bounded by the transport.
	return &apiClient{e: e, base: base, token: token, http: &http.Client{}}, nil
}

// do sends a request and returns the response when it is 2xx; otherwise the
// API's error message becomes the error.
func (c *apiClient) do(ctx context.Context, method, path string, body io.Reader, ctype string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var ae api.ErrorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ae); err != nil || ae.Error.Message == "" {
		return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return nil, fmt.Errorf("%s (%s)", ae.Error.Message, ae.Error.Code)
}

func (c *apiClient) getJSON(ctx context.Context, path string, v any) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func (c *apiClient) submit(ctx context.Context, args []string) error {
	fs := newFlagSet(c.e, "client submit", "FILE", "Upload a VCF (.vcf or .vcf.gz) for annotation.")
	transcripts := fs.String("transcripts", "all", "transcripts to report: all, canonical, mane or pick (canonical/mane on a gene model without the tag use the other tag, else one transcript per gene, with a warning in the header and summary)")
	bundle := fs.String("bundle", "", "reference bundle to annotate with (default: the server's; an unknown one is refused with the list of those it offers)")
	name := fs.String("name", "", "the job's name (default: the file name and a short suffix)")
	skip := fs.Bool("skip-malformed", false, "write malformed records through unannotated and list them in the summary, instead of failing the job")
	wait := fs.Bool("wait", false, "wait until the job finishes; exit status 1 if it fails")
	poll := fs.Duration("poll", 2*time.Second, "how often --wait asks for the job's state")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected one FILE to submit")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var me api.Me
	if err := c.getJSON(ctx, "/me", &me); err != nil {
		return err
	}
	if *bundle != "" && !slices.Contains(me.Bundles, *bundle) {
		// Said here, before a large file is sent for nothing.
		return fmt.Errorf("the server has no bundle %q (it offers: %s)", *bundle, strings.Join(me.Bundles, ", "))
	}
	ch := submitChoice{transcripts: *transcripts, bundle: *bundle, name: *name, skip: *skip}
	var j api.Job
	if me.DirectUploads {
		j, err = c.submitDirect(ctx, f, path, ch)
	} else {
		j, err = c.submitMultipart(ctx, f, path, ch)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "submitted %s (%s, %s): %s\n", j.ID, j.Name, j.Bundle, j.State)
	if !*wait {
		return nil
	}
	return c.wait(ctx, j, *poll)
}

// submitChoice is what `gas client submit` asks for besides the file;
// empty fields leave the server's default.
type submitChoice struct {
	transcripts, bundle, name string
	skip                      bool // malformed records are skipped, not fatal
}

// submitMultipart streams the file through the server: a large file is
// never held in memory.
func (c *apiClient) submitMultipart(ctx context.Context, f *os.File, path string, ch submitChoice) (api.Job, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		var err error
		skip := ""
		if ch.skip {
			skip = "1"
		}
		// The fields go before the file: the server's check of the file
		// depends on skip_malformed.
		for _, fl := range [][2]string{{"transcripts", ch.transcripts}, {"bundle", ch.bundle}, {"job_name", ch.name}, {"skip_malformed", skip}} {
			if err == nil && fl[1] != "" {
				err = mw.WriteField(fl[0], fl[1])
			}
		}
		if err == nil {
			var part io.Writer
			if part, err = mw.CreateFormFile("file", filepath.Base(path)); err == nil {
				if _, err = io.Copy(part, f); err == nil {
					err = mw.Close()
				}
			}
		}
		pw.CloseWithError(err)
	}()
	resp, err := c.do(ctx, http.MethodPost, "/jobs", pr, mw.FormDataContentType())
	pr.Close()
	if err != nil {
		return api.Job{}, err
	}
	return decodeJob(resp)
}

// submitDirect sends the file straight to the server's object store with a
// presigned request, then submits the job by its upload ID.
func (c *apiClient) submitDirect(ctx context.Context, f *os.File, path string, ch submitChoice) (api.Job, error) {
	st, err := f.Stat()
	if err != nil {
		return api.Job{}, err
	}
	body, _ := json.Marshal(api.UploadRequest{Name: filepath.Base(path), Size: st.Size()})
	resp, err := c.do(ctx, http.MethodPost, "/uploads", strings.NewReader(string(body)), "application/json")
	if err != nil {
		return api.Job{}, err
	}
	var up api.Upload
	err = json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if err != nil {
		return api.Job{}, fmt.Errorf("read the server's answer: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, up.Method, up.URL, f)
	if err != nil {
		return api.Job{}, err
	}
	req.ContentLength = st.Size()
	for k, vs := range up.Headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	put, err := c.http.Do(req)
	if err != nil {
		return api.Job{}, fmt.Errorf("upload to storage: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(put.Body, 1<<20))
	put.Body.Close()
	if put.StatusCode/100 != 2 {
		return api.Job{}, fmt.Errorf("upload to storage: %s", put.Status)
	}
	body, _ = json.Marshal(api.SubmitRequest{UploadID: up.UploadID, Name: up.Name, Transcripts: ch.transcripts,
		Bundle: ch.bundle, JobName: ch.name, SkipMalformed: ch.skip})
	resp, err = c.do(ctx, http.MethodPost, "/jobs", strings.NewReader(string(body)), "application/json")
	if err != nil {
		return api.Job{}, err
	}
	return decodeJob(resp)
}

// decodeJob reads the job a submission answered with.
func decodeJob(resp *http.Response) (api.Job, error) {
	defer resp.Body.Close()
	var j api.Job
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return j, fmt.Errorf("read the server's answer: %w", err)
	}
	return j, nil
}

// wait polls the job until it is terminal, printing each new state.
func (c *apiClient) wait(ctx context.Context, j api.Job, every time.Duration) error {
	last := j.State
	for !j.Terminal {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
		if err := c.getJSON(ctx, "/jobs/"+url.PathEscape(j.ID), &j); err != nil {
			return err
		}
		if j.State != last {
			fmt.Fprintf(c.e.stdout, "%s: %s\n", j.ID, j.State)
			last = j.State
		}
	}
	if !j.State.Annotated() {
		return fmt.Errorf("job %s %s: %s", j.ID, j.State.About(), j.FailReason)
	}
	if j.State == gas.JobCompleted {
		fmt.Fprintf(c.e.stdout, "%d records annotated; download with: gas client download %s\n", j.Records, j.ID)
	}
	return nil
}

func (c *apiClient) list(ctx context.Context, args []string) error {
	fs := newFlagSet(c.e, "client list", "", "List your jobs, newest first.")
	page := fs.Int("page", 1, "page of 20 jobs")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var out api.JobList
	if err := c.getJSON(ctx, fmt.Sprintf("/jobs?page=%d", *page), &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tNAME\tINPUT\tBUNDLE\tTRANSCRIPTS\tRECORDS\tCREATED")
	for _, j := range out.Jobs {
		created := ""
		if j.CreatedAt != nil {
			created = j.CreatedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", j.ID, j.State, j.Name, j.InputName, j.Bundle, j.Transcripts, j.Records, created)
	}
	tw.Flush()
	fmt.Fprintf(c.e.stdout, "%d of %d jobs (page %d)\n", len(out.Jobs), out.Total, *page)
	return nil
}

func oneID(c *apiClient, name string, args []string) (string, error) {
	fs := newFlagSet(c.e, "client "+name, "ID", "")
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", usagef("expected one job ID")
	}
	return fs.Arg(0), nil
}

func (c *apiClient) status(ctx context.Context, args []string) error {
	id, err := oneID(c, "status", args)
	if err != nil {
		return err
	}
	var j api.Job
	if err := c.getJSON(ctx, "/jobs/"+url.PathEscape(id), &j); err != nil {
		return err
	}
	fmt.Fprintf(c.e.stdout, "%s  %s  %s (%s)  %s  %s  %d records\n", j.ID, j.State, j.Name, j.InputName, j.Bundle, j.Transcripts, j.Records)
	if j.FailReason != "" {
		fmt.Fprintf(c.e.stdout, "reason: %s\n", j.FailReason)
	}
	if j.RestoreTier != "" {
		fmt.Fprintf(c.e.stdout, "restoring from the archive (%s retrieval)\n", j.RestoreTier)
	}
	return nil
}

func (c *apiClient) cancel(ctx context.Context, args []string) error {
	id, err := oneID(c, "cancel", args)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, "/jobs/"+url.PathEscape(id)+"/cancel", nil, "")
	if err != nil {
		return err
	}
	resp.Body.Close()
	fmt.Fprintf(c.e.stdout, "%s cancelled\n", id)
	return nil
}

func (c *apiClient) download(ctx context.Context, args []string) error {
	fs := newFlagSet(c.e, "client download", "ID", "Download the annotated VCF of a completed job.")
	out := fs.String("o", "", "output file (default: the name the server gives, in the current directory; - for stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected one job ID")
	}
	resp, err := c.do(ctx, http.MethodGet, "/jobs/"+url.PathEscape(fs.Arg(0))+"/result", nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, name, err := c.save(resp, *out, fs.Arg(0)+".annotated.vcf.gz")
	if err != nil {
		return err
	}
	if name != "-" {
		fmt.Fprintf(c.e.stdout, "wrote %s (%d bytes)\n", name, n)
	}
	return nil
}

// save writes a download to out ("" : the name the server gives, else
// fallback, in the current directory; "-": stdout) and returns the bytes
// written and the name used.
func (c *apiClient) save(resp *http.Response, out, fallback string) (int64, string, error) {
	name := out
	if name == "" {
		name = fallback
		if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
			// Only a base name: a server must not choose where we write.
			name = filepath.Base(params["filename"])
		}
	}
	if name == "-" {
		n, err := io.Copy(c.e.stdout, resp.Body)
		return n, name, err
	}
	// Write beside the target and rename, so an interrupted download never
	// leaves a truncated file under the final name.
	tmp, err := os.CreateTemp(filepath.Dir(name), ".gas-download-*")
	if err != nil {
		return 0, name, err
	}
	n, err := io.Copy(tmp, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return n, name, fmt.Errorf("download: %w", err)
	}
	return n, name, nil
}

// exportFormats maps export --format to the site's export of the variant
// browser (GET /jobs/{id}/variants.EXT, which takes the same Bearer token).
var exportFormats = map[string]string{"vcf": "vcf.gz", "tsv": "tsv", "json": "json", "xlsx": "xlsx"}

// export downloads the variant browser's export of a job: all records, or
// those of a filter given as the browser's URL query.
func (c *apiClient) export(ctx context.Context, args []string) error {
	fs := newFlagSet(c.e, "client export", "ID", "Download a completed job's variants as VCF, TSV, JSON (the view's summary) or Excel.")
	format := fs.String("format", "tsv", "vcf, tsv, json or xlsx")
	filter := fs.String("filter", "", "the variant browser's filter as its URL query, e.g. 'impact=high&gene=BRCA1' (default: all records)")
	out := fs.String("o", "", "output file (default: the name the server gives, in the current directory; - for stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("expected one job ID")
	}
	ext, ok := exportFormats[*format]
	if !ok {
		return usagef("unknown export format %q (vcf, tsv, json or xlsx)", *format)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(*filter, "?"))
	if err != nil {
		return usagef("--filter is not a URL query: %v", err)
	}
	id := fs.Arg(0)
	u := c.base + "/jobs/" + url.PathEscape(id) + "/variants." + ext
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	// The site answers 303 to the browser page while the index is being
	// built: that is a state to report, not a page to fetch.
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusSeeOther:
		return fmt.Errorf("job %s has no variant index yet (it is not completed, or the index is still being built); try again shortly", id)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("export: %s", siteError(resp))
	}
	n, name, err := c.save(resp, *out, id+".variants."+ext)
	if err != nil {
		return err
	}
	if name != "-" {
		fmt.Fprintf(c.e.stdout, "wrote %s (%d bytes, %s records)\n", name, n, resp.Header.Get("X-GAS-Records"))
	}
	return nil
}

// siteError words a refusal of the site as its message and status.
func siteError(resp *http.Response) string {
	// The site answers a token request's refusals with the API's JSON
	// error (docs/web.md).
	var ae api.ErrorBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ae); err != nil || ae.Error.Message == "" {
		return resp.Status
	}
	return ae.Error.Message + " (" + resp.Status + ")"
}
