package refdata

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestAppendFloat32 checks that every formatted value reads back as the
// same float32 and is no longer than strconv's shortest form allows.
func TestAppendFloat32(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	vals := []float32{0, 1, -1, 0.5, 0.1, 0.0001, 0.00012, 1e-6, 9.99e-7, 1e-9, 123456.7, 1e9, 3e38, -0.25, 0.001234,
		float32(math.Inf(1)), float32(math.NaN()), 0.30000001, 16777216, 16777217}
	for i := 0; i < 200000; i++ {
		switch i % 4 {
		case 0:
			vals = append(vals, r.Float32())
		case 1:
			vals = append(vals, float32(r.IntN(100000))/10000)
		case 2:
			vals = append(vals, math.Float32frombits(r.Uint32()))
		default:
			vals = append(vals, float32(r.NormFloat64()*1000))
		}
	}
	for _, x := range vals {
		got := string(appendFloat32(nil, x))
		back, err := strconv.ParseFloat(got, 32)
		if math.IsNaN(float64(x)) {
			if got != "NaN" {
				t.Errorf("NaN -> %q", got)
			}
			continue
		}
		if err != nil || float32(back) != x {
			t.Fatalf("%v (%08x) -> %q -> %v %v", x, math.Float32bits(x), got, back, err)
		}
		if want := strconv.FormatFloat(float64(x), 'f', -1, 32); len(got) > len(want) && len(got) > len(strconv.FormatFloat(float64(x), 'g', -1, 32)) {
			t.Errorf("%v: %q longer than %q", x, got, want)
		}
	}
	if got := string(appendFloat32(nil, 0.0012)); got != "0.0012" {
		t.Errorf("0.0012 -> %q", got)
	}
}
