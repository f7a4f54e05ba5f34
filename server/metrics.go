package server

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// httpMetrics are the request metrics. Their labels are bounded by
// construction: route is a registered pattern or "unmatched", method one of
// the standard methods or "other", status a three-digit code.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// registerMetrics creates the server's metrics on reg. A nil reg is replaced by
// a private registry, so that nothing a library registers globally leaks into
// /metrics, with the Go runtime and process collectors operators expect.
func registerMetrics(reg *prometheus.Registry, db DB) (*prometheus.Registry, *httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
	}
	cs := []prometheus.Collector{m.requests, m.duration, newDBCollector(db)}
	if reg == nil {
		reg = prometheus.NewRegistry()
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	var errs []error
	for _, c := range cs {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return reg, m, nil
}

func (m *httpMetrics) observe(route, method string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
}

// metricMethod bounds the method label: clients may send any token as a method.
func metricMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// dbCollector exports the database pools' statistics, read at scrape time so
// that the numbers are current and nothing polls in between.
type dbCollector struct {
	db                                  DB
	open, inUse, idle, waits, waitTotal *prometheus.Desc
}

func newDBCollector(db DB) *dbCollector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, []string{"pool"}, nil)
	}
	return &dbCollector{
		db:        db,
		open:      desc("gatehouse_db_open_connections", "Open database connections, in use or idle."),
		inUse:     desc("gatehouse_db_in_use_connections", "Database connections in use."),
		idle:      desc("gatehouse_db_idle_connections", "Idle database connections."),
		waits:     desc("gatehouse_db_wait_count_total", "Times a query waited for a free database connection."),
		waitTotal: desc("gatehouse_db_wait_duration_seconds_total", "Time spent waiting for a free database connection."),
	}
}

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.open, c.inUse, c.idle, c.waits, c.waitTotal} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	for pool, st := range c.db.Stats() {
		for _, v := range []struct {
			desc  *prometheus.Desc
			typ   prometheus.ValueType
			value float64
		}{
			{c.open, prometheus.GaugeValue, float64(st.OpenConnections)},
			{c.inUse, prometheus.GaugeValue, float64(st.InUse)},
			{c.idle, prometheus.GaugeValue, float64(st.Idle)},
			{c.waits, prometheus.CounterValue, float64(st.WaitCount)},
			{c.waitTotal, prometheus.CounterValue, st.WaitDuration.Seconds()},
		} {
			m, err := prometheus.NewConstMetric(v.desc, v.typ, v.value, pool)
			if err != nil {
				m = prometheus.NewInvalidMetric(v.desc, err)
			}
			ch <- m
		}
	}
}

var _ prometheus.Collector = (*dbCollector)(nil)
