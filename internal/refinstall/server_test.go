package refinstall

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/refdata"
)

// fileServer serves files by URL path over TLS (as the providers do), with
// a strong ETag and a Last-Modified date per version of each file, and can
// cut responses short or ignore Range requests, to exercise the downloader
// against a real HTTP server on 127.0.0.1.
type fileServer struct {
	mu       sync.Mutex
	files    map[string][]byte
	modified map[string]time.Time
	cuts     map[string]int // path → how many more responses to cut halfway
	stall    bool           // cut responses stall (until the client gives up) instead of dropping
	noRange  bool           // answer every request with the whole file (200)
	log      []string       // "path range" of every request
	ifRange  []string       // the If-Range header of every request with a Range
}

// newFileServer starts a TLS file server; its Client trusts the server's
// certificate.
func newFileServer(t *testing.T) (*fileServer, *httptest.Server) {
	fs := &fileServer{files: map[string][]byte{}, modified: map[string]time.Time{}, cuts: map[string]int{}}
	srv := httptest.NewTLSServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv
}

// add serves data at path; adding new content is a new version of the
// file (new ETag, later Last-Modified).
func (fs *fileServer) add(path string, data []byte) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.files[path] = data
	t := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if old, ok := fs.modified[path]; ok {
		t = old.Add(time.Hour)
	}
	fs.modified[path] = t
}

func (fs *fileServer) cut(path string, n int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.cuts[path] = n
}

func (fs *fileServer) requests() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.log...)
}

func (fs *fileServer) ifRanges() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.ifRange...)
}

func etag(data []byte) string { return `"` + sha(data)[:16] + `"` }

func (fs *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	data, ok := fs.files[r.URL.Path]
	mod := fs.modified[r.URL.Path]
	if r.Method == http.MethodGet {
		fs.log = append(fs.log, r.URL.Path+" "+r.Header.Get("Range"))
		if r.Header.Get("Range") != "" {
			fs.ifRange = append(fs.ifRange, r.Header.Get("If-Range"))
		}
	}
	cut := fs.cuts[r.URL.Path] > 0 && r.Method == http.MethodGet
	if cut {
		fs.cuts[r.URL.Path]--
	}
	noRange, stall := fs.noRange, fs.stall
	fs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", etag(data))
	w.Header().Set("Last-Modified", mod.Format(http.TimeFormat))
	if !cut {
		if noRange {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
			return
		}
		// ServeContent answers Range, If-Range (against the ETag set
		// above) and HEAD as a real server does.
		http.ServeContent(w, r, r.URL.Path, mod, bytes.NewReader(data))
		return
	}
	// Announce the rest of the file, send half of it, then drop the
	// connection as a failing network would.
	start := 0
	if rg := r.Header.Get("Range"); rg != "" && !noRange && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == etag(data)) {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil || n >= len(data) {
			http.Error(w, "bad range in test server", http.StatusBadRequest)
			return
		}
		start = n
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(data)-1, len(data)))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)-start))
		w.WriteHeader(http.StatusPartialContent)
	} else {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
	}
	w.Write(data[start : start+(len(data)-start)/2])
	w.(http.Flusher).Flush()
	if stall {
		<-r.Context().Done() // the client's stall watchdog hangs up
	}
	panic(http.ErrAbortHandler)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testSources are the files of the test assembly: the real vep-chr21 gene
// model and dbSNP extract, and small track tables in the three formats the
// installer reads, made here over chr21:25.58 Mb where test.vcf has
// variants (the data are invented for the test; the formats are UCSC's and
// the GWAS Catalog's).
type testSources struct {
	files map[string][]byte // URL path → content
	vcf   string            // the sample VCF to annotate
}

func loadTestSources(t *testing.T) testSources {
	t.Helper()
	td := sharedtest.Dir(t, "vep-chr21")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(td, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return testSources{
		vcf: filepath.Join(td, "test.vcf"),
		files: map[string][]byte{
			"/ensembl/genes.gff3.gz":       read("genes.gff3.gz"),
			"/dbsnp/known_variants.vcf.gz": read("known_variants.vcf.gz"),
			"/ucsc/cytoBand.txt":           []byte("chr21\t25000000\t25586000\tq21.test1\tgneg\nchr21\t25586000\t26000000\tq21.test2\tgpos50\n"),
			"/ucsc/cpgIslandExt.txt":       []byte("585\tchr21\t25585700\t25585800\tCpG: 12\t100\t12\t70\t24\t70\n"),
			"/gwas/gwas-associations.tsv":  []byte("PUBMEDID\tCHR_ID\tCHR_POS\tDISEASE/TRAIT\tMAPPED_TRAIT\tSNPS\n1\t21\t25587701\tHeight\tbody height\trs187353664\n2\t21;21\t25587758;25587759\tHaplotype trait\t\trs1;rs2\n3\t\t\tUnmapped\t\trs3\n"),
		},
	}
}

// manifest builds a test manifest for the served files. With pin, each
// entry carries the SHA-256 and size computed from the file, as a lock
// does; without, nothing vouches for the files but TLS.
func (ts testSources) manifest(base string, pin bool) *Manifest {
	src := func(role, name, track, format, path string, optional bool) Source {
		s := Source{Role: role, Name: name, Track: track, Format: format, URL: base + path, Version: "test",
			ChecksumType: refdata.ChecksumNone, License: "test data (see ../shared/testdata/README.md)", Optional: optional}
		if pin {
			s.SHA256 = sha(ts.files[path])
			s.Size = int64(len(ts.files[path]))
		}
		return s
	}
	// Named "known", the name refdata gives the single known-variants file
	// of older bundles (its input keeps the role "known").
	known := src(RoleKnown, refdata.LegacyKnownName, "", "", "/dbsnp/known_variants.vcf.gz", false)
	known.Fields, known.ID = []string{"MAF", "AF_EUR"}, true
	return &Manifest{Version: ManifestVersion, Assemblies: map[string]*Assembly{
		"testasm": {Assembly: "GRCh38", Sources: []Source{
			src(RoleGenes, "", "", "", "/ensembl/genes.gff3.gz", false),
			known,
			src(RoleTrack, "", "CYTOBAND", "", "/ucsc/cytoBand.txt", false),
			src(RoleTrack, "", "CPG_ISLAND", FormatUCSCBin, "/ucsc/cpgIslandExt.txt", false),
			src(RoleTrack, "", "GWAS", FormatGWASCat, "/gwas/gwas-associations.tsv", true),
		}},
	}}
}

func (ts testSources) serve(fs *fileServer) {
	for p, b := range ts.files {
		fs.add(p, b)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// http500 fails every request.
type http500 struct{}

func (http500) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	http.Error(w, "down for maintenance", http.StatusInternalServerError)
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
