package web

import (
	"context"
	"net/http"

	"github.com/gas-project/gas"
)

// NotificationStore lists the emails sent to a user (the outbox of package
// notify); sqldb.DB implements it.
type NotificationStore interface {
	// ListNotifications returns the user's notifications newest first and their total.
	ListNotifications(ctx context.Context, userID int64, p gas.Page) ([]*gas.Notification, int, error)
}

// notificationsPerPage is the length of one page of the notifications list.
const notificationsPerPage = 20

// notificationItem is one row of the list.
type notificationItem struct {
	*gas.Notification
	KindLabel  string
	StateClass string
}

// notificationsView is the model of the notifications page.
type notificationsView struct {
	base
	Enabled bool // false when the server has no notification store
	ToFiles bool // mail is written to the outbox folder instead of sent
	Items   []notificationItem
	Total   int
	pager
}

var kindLabels = map[gas.NotificationKind]string{
	gas.NotifyJobCompleted: "Annotation complete",
	gas.NotifyJobFailed:    "Annotation failed",
	gas.NotifyJobRestored:  "Result restored",
}

func deliveryClass(s gas.DeliveryState) string {
	switch s {
	case gas.DeliverySent:
		return "text-bg-success"
	case gas.DeliveryFailed:
		return "text-bg-danger"
	default:
		return "text-bg-secondary"
	}
}

// notificationList shows the emails the user was sent about their jobs, so
// a user whose mail went astray can still see what happened and when.
func (s *server) notificationList(w http.ResponseWriter, r *http.Request, u *gas.User) {
	page, ok := s.pageParam(w, r)
	if !ok {
		return
	}
	v := notificationsView{base: s.baseFor(r, "Notifications"),
		pager:   pager{Page: page, PagePath: "/notifications", PageLabel: "Pages of notifications", PrevText: "Newer", NextText: "Older"},
		Enabled: s.d.Notifications != nil, ToFiles: s.cfg.NotificationsToFiles}
	if v.Enabled {
		ns, total, err := s.d.Notifications.ListNotifications(r.Context(), u.ID,
			gas.Page{Offset: (page - 1) * notificationsPerPage, Limit: notificationsPerPage})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, n := range ns {
			label := kindLabels[n.Kind]
			if label == "" {
				label = string(n.Kind)
			}
			v.Items = append(v.Items, notificationItem{Notification: n, KindLabel: label, StateClass: deliveryClass(n.State)})
		}
		v.Total = total
		v.setPages(total, notificationsPerPage)
	}
	s.render(w, r, http.StatusOK, "notifications", v)
}
