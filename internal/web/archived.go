package web

import (
	"net/http"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/httpserver"
)

// archivedResult is the gate of every page and file made from a job's
// result (the download, the variant browser and its pages, the exports):
// while the result is archived or being restored it answers with
// gas.ResultArchived — the same 409 and words as the API — and returns
// true; otherwise it returns false and the caller goes on. The job page
// itself is not gated: its summary and charts stay.
func (s *server) archivedResult(w http.ResponseWriter, r *http.Request, u *gas.User, job *gas.Job) bool {
	err := gas.ResultArchived(job, u.Plan)
	if err == nil {
		return false
	}
	v := errorView{Status: httpserver.StatusFor(err), Code: gas.ErrorCode(err), Message: gas.ErrorMessage(err),
		Back: "/jobs/" + job.ID, BackLabel: "Back to the annotation (summary and charts)"}
	if job.State == gas.JobArchived && u.Plan != gas.PlanPremium {
		v.Offer = "Premium users' results are kept, and archived ones are restored when an account becomes Premium. " +
			"An administrator can upgrade your account."
		v.OfferLink, v.OfferLabel = "/subscribe", "See the plans"
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.renderErrorView(w, r, v)
	return true
}
