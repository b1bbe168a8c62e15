package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gas-project/gas"
)

// AdminStore lists what the admin page shows across all users (sqldb.DB
// implements it).
type AdminStore interface {
	// ListUsers returns accounts oldest first and their total.
	ListUsers(ctx context.Context, p gas.Page) ([]*gas.User, int, error)
	// CountJobsByUser returns the number of jobs of each given user.
	CountJobsByUser(ctx context.Context, userIDs []int64) (map[int64]int, error)
	// RecentJobs returns the jobs of all users matching f, newest first, and their total.
	RecentJobs(ctx context.Context, f gas.JobFilter, p gas.Page) ([]*gas.Job, int, error)
	// StorageByUser returns the bytes of inputs and results each user keeps.
	StorageByUser(ctx context.Context, userIDs []int64) (map[int64]int64, error)
	// BundlesUsed lists the reference bundles that annotated jobs.
	BundlesUsed(ctx context.Context) ([]gas.BundleUse, error)
	// FailedNotifications returns deliveries that gave up, newest first.
	FailedNotifications(ctx context.Context, p gas.Page) ([]*gas.Notification, int, error)
}

// AccountStore is everything the account pages need from the database.
type AccountStore interface {
	IdentityStore
	ProfileStore
	AdminStore
}

// Lengths of the admin page's lists.
const (
	adminUsersPerPage = 50
	adminRecentJobs   = 50
	adminFailed       = 50
)

// adminUser is one row of the user table.
type adminUser struct {
	*gas.User
	Jobs    int
	Storage int64
}

// JobRetrier queues a failed job again (sqldb.Jobs has it).
type JobRetrier interface {
	RetryJob(ctx context.Context, id, actor string) (*gas.Job, error)
}

// adminJob is one row of the recent jobs table.
type adminJob struct {
	*gas.Job
	Owner string // the owner's email
	// Retryable: an administrator may queue it again (RetryJob).
	Retryable bool
}

// adminView is the model of the admin page.
type adminView struct {
	base
	Users     []adminUser
	UserTotal int
	pager
	Jobs        []adminJob
	JobTotal    int
	Failed      []*gas.Notification
	FailedTotal int
	// The jobs filter, as given in the URL (state, owner email).
	State, Owner string
	States       []gas.JobState
	CanRetry     bool
	Bundles      []gas.BundleUse
}

// adminPage shows the installation at a glance: accounts, the latest jobs
// of everyone and the emails that could not be delivered.
func (s *server) adminPage(w http.ResponseWriter, r *http.Request, _ *gas.User) {
	page, ok := s.pageParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	a := s.d.Accounts
	v := adminView{base: s.baseFor(r, "Administration"),
		pager: pager{Page: page, PagePath: "/admin", PageLabel: "Pages of users", PrevText: "Previous", NextText: "Next"}}
	users, total, err := a.ListUsers(ctx, gas.Page{Offset: (page - 1) * adminUsersPerPage, Limit: adminUsersPerPage})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]int64, len(users))
	emails := map[int64]string{}
	for i, u := range users {
		ids[i] = u.ID
		emails[u.ID] = u.Email
	}
	counts, err := a.CountJobsByUser(ctx, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	storage, err := a.StorageByUser(ctx, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, u := range users {
		v.Users = append(v.Users, adminUser{User: u, Jobs: counts[u.ID], Storage: storage[u.ID]})
	}
	v.UserTotal = total
	v.setPages(total, adminUsersPerPage)

	v.States = gas.JobStates()
	v.CanRetry = s.d.Retrier != nil
	var filter gas.JobFilter
	if st := r.URL.Query().Get("state"); st != "" {
		if !slices.Contains(v.States, gas.JobState(st)) {
			s.renderError(w, r, http.StatusBadRequest, "Unknown job state.")
			return
		}
		v.State, filter.State = st, gas.JobState(st)
	}
	if email := strings.TrimSpace(r.URL.Query().Get("owner")); email != "" {
		v.Owner = email
		u, err := s.d.Users.UserByEmail(ctx, email)
		switch {
		case gas.ErrorCode(err) == gas.ENOTFOUND:
			filter.UserID = -1 // no such owner: an empty list, not everyone's jobs
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			filter.UserID = u.ID
		}
	}
	var jobs []*gas.Job
	var jobTotal int
	if filter.UserID >= 0 {
		if jobs, jobTotal, err = a.RecentJobs(ctx, filter, gas.Page{Limit: adminRecentJobs}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if v.Bundles, err = a.BundlesUsed(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	v.JobTotal = jobTotal
	owner := func(id int64) (string, error) {
		if e, ok := emails[id]; ok {
			return e, nil
		}
		u, err := s.d.Users.UserByID(ctx, id)
		if gas.ErrorCode(err) == gas.ENOTFOUND {
			return "(deleted)", nil // deleted between the two queries
		}
		if err != nil {
			return "", err
		}
		emails[id] = u.Email
		return u.Email, nil
	}
	for _, j := range jobs {
		e, err := owner(j.UserID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Jobs = append(v.Jobs, adminJob{Job: j, Owner: e, Retryable: j.State.CanMoveTo(gas.JobPending)})
	}
	if v.Failed, v.FailedTotal, err = a.FailedNotifications(ctx, gas.Page{Limit: adminFailed}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin", v)
}

// adminRetryJob answers POST /admin/jobs/{id}/retry: a FAILED job of any
// user is queued again, and the admin returns to the filtered list.
func (s *server) adminRetryJob(w http.ResponseWriter, r *http.Request, u *gas.User) {
	if s.d.Retrier == nil {
		s.renderError(w, r, http.StatusNotFound, "")
		return
	}
	if _, err := s.d.Retrier.RetryJob(r.Context(), r.PathValue("id"), fmt.Sprintf("admin:%d", u.ID)); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin?state="+string(gas.JobFailed)+"#admin-jobs", http.StatusSeeOther)
}
