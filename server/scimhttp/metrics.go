package scimhttp

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/server"
)

// Metrics counts SCIM requests by operation and status and times them.
// Groups are unbounded, so the group label is off unless asked for; the
// per-group view is the group's SCIM request log.
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	groupLabels bool
}

// NewMetrics registers the SCIM metrics on reg. With groupLabels every series
// also carries the group's path.
func NewMetrics(reg prometheus.Registerer, groupLabels bool) *Metrics {
	labels := []string{"operation", "status"}
	timing := []string{"operation"}
	if groupLabels {
		labels = append(labels, "group")
		timing = append(timing, "group")
	}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_scim_requests_total",
			Help: "SCIM requests by operation (create_user, patch_user, list_users, …) and response status.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_scim_request_duration_seconds",
			Help:    "Time to answer a SCIM request, by operation.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, timing),
		groupLabels: groupLabels,
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// observe records one request.
func (m *Metrics) observe(op string, status int, group string, d time.Duration) {
	labels := []string{op, strconv.Itoa(status)}
	timing := []string{op}
	if m.groupLabels {
		labels = append(labels, group)
		timing = append(timing, group)
	}
	m.requests.WithLabelValues(labels...).Inc()
	m.duration.WithLabelValues(timing...).Observe(d.Seconds())
}

// statusWriter remembers the status a handler wrote and, with capture, the
// start of the body for the request log: the first
// gatehouse.SCIMLogBodyLimit bytes, and how many there were in all.
type statusWriter struct {
	http.ResponseWriter
	status  int
	capture bool
	body    []byte
	size    int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.capture {
		if room := gatehouse.SCIMLogBodyLimit - len(w.body); room > 0 {
			w.body = append(w.body, b[:min(room, len(b))]...)
		}
		w.size += len(b)
	}
	return w.ResponseWriter.Write(b)
}

// statusOf is the status a request ended with: the one written, or the one
// the server will render for the error.
func statusOf(w *statusWriter, err error) int {
	if err != nil {
		return server.ErrorStatus(err)
	}
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
