package config

import (
	"strings"
	"testing"
)

// FuzzConfigFile feeds arbitrary files to the parser: it must return a
// config or an error, never panic, and whatever it accepts must validate.
func FuzzConfigFile(f *testing.F) {
	f.Add("addr = 127.0.0.1:9000\nworkers = 3\n")
	f.Add("# comment\n\nfree-upload-limit = \"1 MB\"\n")
	f.Add("nokey\n")
	f.Add("free-retention = 5m\nlog-format=json\nbase-url = https://x.example\n")
	f.Fuzz(func(t *testing.T, file string) {
		c := Default()
		if err := c.applyFile(strings.NewReader(file), "fuzz.conf"); err != nil {
			if !strings.HasPrefix(err.Error(), "config: ") {
				t.Fatalf("error without the config prefix: %v", err)
			}
			return
		}
		_ = c.Validate()
		_ = c.Redacted()
	})
}
