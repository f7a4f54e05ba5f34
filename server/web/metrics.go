package web

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts SAML sign-ins by outcome and times the ACS. Groups are
// unbounded, so the group label is off unless asked for; the per-group view
// is the group's SAML log.
type Metrics struct {
	signIns     *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	groupLabels bool
}

// NewMetrics registers the SAML metrics on reg. With groupLabels every
// series also carries the group's path.
func NewMetrics(reg prometheus.Registerer, groupLabels bool) *Metrics {
	labels, timing := []string{"outcome"}, []string{}
	if groupLabels {
		labels, timing = append(labels, "group"), append(timing, "group")
	}
	m := &Metrics{
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_saml_signins_total",
			Help: "SAML responses posted to an ACS, by outcome (signed_in, link_required, create, password_first, invalid, replayed, …).",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_saml_acs_duration_seconds",
			Help:    "Time to check a SAML response and decide its outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, timing),
		groupLabels: groupLabels,
	}
	reg.MustRegister(m.signIns, m.duration)
	return m
}

// observe records one response; a nil m records nothing.
func (m *Metrics) observe(outcome, group string, d time.Duration) {
	if m == nil {
		return
	}
	labels, timing := []string{outcome}, []string{}
	if m.groupLabels {
		labels, timing = append(labels, group), append(timing, group)
	}
	m.signIns.WithLabelValues(labels...).Inc()
	m.duration.WithLabelValues(timing...).Observe(d.Seconds())
}
