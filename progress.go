package gas

import "time"

// Progress is how far a job's annotation has got, for the live job page.
type Progress struct {
	JobID string
	// InputRecords is the record count of the upload check (the total of
	// the progress bar); 0 when it was not recorded.
	InputRecords int64
	// Records is the last count the worker reported, At when.
	Records int64
	At      time.Time
	// IndexKey is the blob of the job's variant index, "" until built.
	IndexKey string
}

// Throughput describes the recently completed jobs of all users, for
// estimates: how long a job ran on average and how many records a second
// were annotated.
type Throughput struct {
	Jobs          int           // completed jobs looked at (0: no estimate)
	MeanRun       time.Duration // mean time from RUNNING to COMPLETED
	RecordsPerSec float64       // records / running time over those jobs
}
