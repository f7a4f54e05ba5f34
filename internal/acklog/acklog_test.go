package acklog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExpectAllowed(t *testing.T) {
	a := State{"exists": "true", "active": "true", "title": "a"}
	b := State{"exists": "true", "active": "true", "title": "b"}
	off := State{"exists": "true", "active": "false", "title": "a"}
	half := State{"exists": "true", "active": "false", "title": "b"}
	tests := []struct {
		name string
		log  []Record
		have State
		want bool
	}{
		{"acked create present", []Record{{Kind: Sent, State: a}, {Kind: Ack, State: a}}, a, true},
		{"acked create lost", []Record{{Kind: Sent, State: a}, {Kind: Ack, State: a}}, Gone(), false},
		{"older state after acked update", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: b}, {Kind: Ack, State: b}}, a, false},
		{"unconfirmed update applied", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: b}}, b, true},
		{"unconfirmed update not applied", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: b}}, a, true},
		{"half-applied", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: off}, {Kind: Ack, State: off}, {Kind: Sent, State: b}}, half, false},
		{"refused write applied", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: b}, {Kind: Fail, State: b}}, b, false},
		{"acked delete", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: Gone()}, {Kind: Ack, State: Gone()}}, Gone(), true},
		{"acked delete undone", []Record{{Kind: Ack, State: a}, {Kind: Sent, State: Gone()}, {Kind: Ack, State: Gone()}}, a, false},
		{"extra attributes ignored", []Record{{Kind: Ack, State: a}}, State{"exists": "true", "active": "true", "title": "a", "id": "7"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.log {
				tt.log[i].Seq, tt.log[i].Key = int64(i+1), "k"
			}
			e := Expect(tt.log)["k"]
			if e == nil {
				t.Fatal("no expectation for an acknowledged key")
			}
			if got := e.Allowed(tt.have); got != tt.want {
				t.Errorf("Allowed(%s) = %v, want %v (expectation %+v)", tt.have, got, tt.want, e)
			}
		})
	}
}

func TestExpectSkipsUnacknowledged(t *testing.T) {
	recs := []Record{{Seq: 1, Key: "k", Kind: Sent, State: State{"exists": "true"}}}
	if got := Expect(recs); len(got) != 0 {
		t.Errorf("Expect = %v, want nothing for a key never acknowledged", got)
	}
}

func TestWriterAndRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acks.jsonl")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{Sent, Ack} {
		if err := w.Append(Record{Kind: kind, Op: "create", Key: "e1", ID: "u1", State: State{"exists": "true"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Count(Ack); got != 1 {
		t.Errorf("Count(ack) = %d, want 1", got)
	}
	w.Close()

	// A crashed client leaves a torn last line: ignored. Reopening continues
	// the sequence.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"seq":3,"kind":"se`)
	f.Close()
	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Seq != 2 || recs[1].Kind != Ack {
		t.Fatalf("Read = %+v", recs)
	}

	rep, err := Check(Expect(recs), func(e *Expectation) (State, error) {
		if e.ID != "u1" {
			t.Errorf("expectation's ID = %q, want u1", e.ID)
		}
		return Gone(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 1 || rep.Lost != 1 || !strings.Contains(rep.String(), "e1: server has {exists=false}") {
		t.Errorf("Check = %s", rep)
	}

	w, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(Record{Kind: Sent, Key: "e2", State: Gone()}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, err = Read(path)
	if err != nil {
		t.Fatalf("after reopening a torn log: %v", err)
	}
	if len(recs) != 3 || recs[2].Seq != 3 || recs[2].Key != "e2" {
		t.Errorf("after reopening: %+v", recs)
	}
}

func TestParseRejectsDamageInTheMiddle(t *testing.T) {
	_, err := Parse([]byte("{\"seq\":1}\nnot json\n{\"seq\":3}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Parse = %v, want an error naming line 2", err)
	}
}
