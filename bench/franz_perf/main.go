// franz-perf: franz-go's producer measured like kafkio-perf and rdkafka-perf (client/tools/perf_tool.hpp): the
// same kafka-producer-perf-test options, summary line and --json keys. Only for comparison (scripts/bench).
//
//	franz-perf --topic T --num-records N --record-size S --throughput R(-1 = unlimited)
//	           --producer-props bootstrap.servers=127.0.0.1:19092 acks=all linger.ms=5 ... [--warmup-records N] [--json]
//
// Properties are mapped to franz-go's options: acks, enable.idempotence, linger.ms, batch.size
// (ProducerBatchMaxBytes), compression.type, max.in.flight.requests.per.connection (without idempotence only:
// franz-go refuses it otherwise); buffer.memory becomes MaxBufferedBytes. Latency: from Produce to its promise, for every record; the promise runs on franz-go's own
// goroutines, so the statistics are kept under a mutex.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type options struct {
	topic      string
	records    int64
	size       int
	throughput float64
	props      map[string]string
	warmup     int64
	json       bool
}

func usage(why string) {
	fmt.Fprintf(os.Stderr, "franz-perf: %s\nusage: franz-perf --topic T --num-records N --record-size BYTES "+
		"--throughput RECORDS_PER_SEC(-1: unlimited) --producer-props K=V [K=V...] [--warmup-records N] [--json]\n", why)
	os.Exit(2)
}

func parse() options {
	o := options{records: -1, size: 100, throughput: -1, props: map[string]string{}}
	a := os.Args[1:]
	num := func(i int) string {
		if i+1 >= len(a) {
			usage("missing value")
		}
		return a[i+1]
	}
	for i := 0; i < len(a); i++ {
		var err error
		switch a[i] {
		case "--topic":
			o.topic = num(i)
			i++
		case "--num-records":
			o.records, err = strconv.ParseInt(num(i), 10, 64)
			i++
		case "--record-size":
			o.size, err = strconv.Atoi(num(i))
			i++
		case "--throughput":
			o.throughput, err = strconv.ParseFloat(num(i), 64)
			i++
		case "--warmup-records":
			o.warmup, err = strconv.ParseInt(num(i), 10, 64)
			i++
		case "--json":
			o.json = true
		case "--producer-props":
			for i+1 < len(a) && !strings.HasPrefix(a[i+1], "--") {
				i++
				k, v, ok := strings.Cut(a[i], "=")
				if !ok || k == "" {
					usage("--producer-props takes K=V pairs")
				}
				o.props[k] = v
			}
		default:
			usage("unknown option")
		}
		if err != nil {
			usage("a numeric option has a value that is not a number")
		}
	}
	if o.topic == "" || o.records < 0 {
		usage("--topic and --num-records are required")
	}
	return o
}

func clientOptions(o options) []kgo.Opt {
	opts := []kgo.Opt{kgo.DefaultProduceTopic(o.topic)}
	idempotent := o.props["enable.idempotence"] != "false"
	for k, v := range o.props {
		n, _ := strconv.Atoi(v)
		switch k {
		case "bootstrap.servers":
			opts = append(opts, kgo.SeedBrokers(strings.Split(v, ",")...))
		case "acks":
			switch v {
			case "all", "-1":
				opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
			case "1":
				opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
			case "0":
				opts = append(opts, kgo.RequiredAcks(kgo.NoAck()))
			}
		case "linger.ms":
			opts = append(opts, kgo.ProducerLinger(time.Duration(n)*time.Millisecond))
		case "batch.size":
			opts = append(opts, kgo.ProducerBatchMaxBytes(int32(n)))
		case "buffer.memory":
			opts = append(opts, kgo.MaxBufferedBytes(n))
		case "max.in.flight.requests.per.connection":
			if !idempotent { // franz-go refuses the option with idempotence: it manages in-flight requests itself
				opts = append(opts, kgo.MaxProduceRequestsInflightPerBroker(n))
			}
		case "compression.type":
			codec := map[string]kgo.CompressionCodec{"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(),
				"snappy": kgo.SnappyCompression(), "lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression()}[v]
			opts = append(opts, kgo.ProducerBatchCompression(codec))
		case "enable.idempotence":
		default:
			fmt.Fprintf(os.Stderr, "franz-perf: ignoring property %s\n", k)
		}
	}
	if !idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite())
	}
	return opts
}

// Kafka's tool's payload: uppercase letters (the C++ tools use their own generator; only the letters matter).
func payload(n int) []byte {
	r := rand.New(rand.NewSource(1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + r.Intn(26))
	}
	return b
}

type stats struct {
	mu        sync.Mutex
	completed int64
	errors    int64
	total     float64
	max       float64
	samples   []float32
	sampling  int64
}

func (s *stats) record(i int64, ms float64) {
	s.mu.Lock()
	s.completed++
	s.total += ms
	if ms > s.max {
		s.max = ms
	}
	if i%s.sampling == 0 {
		s.samples = append(s.samples, float32(ms))
	}
	s.mu.Unlock()
}

func (s *stats) percentile(q float64) float64 {
	if len(s.samples) == 0 {
		return 0
	}
	return float64(s.samples[int(q*float64(len(s.samples)-1))])
}

func main() {
	o := parse()
	cl, err := kgo.NewClient(clientOptions(o)...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "franz-perf: %v\n", err)
		os.Exit(2)
	}
	value := payload(o.size)
	ctx := context.Background()
	for i := int64(0); i < o.warmup; i++ {
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				fmt.Fprintf(os.Stderr, "franz-perf: warm-up send failed: %v\n", err)
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "franz-perf: %v\n", err)
		os.Exit(1)
	}
	st := &stats{sampling: max(1, o.records/min(max(o.records, 1), 500000))}
	st.samples = make([]float32, 0, o.records/st.sampling+1)
	start := time.Now()
	for i := int64(0); i < o.records; i++ {
		i, sent := i, time.Now()
		// Produce blocks when MaxBufferedRecords/Bytes is reached: franz-go's own backpressure.
		cl.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				st.mu.Lock()
				st.errors++
				if st.errors <= 5 {
					fmt.Fprintf(os.Stderr, "franz-perf: send failed: %v\n", err)
				}
				st.mu.Unlock()
				return
			}
			st.record(i, float64(time.Since(sent).Nanoseconds())/1e6)
		})
		if o.throughput > 0 {
			due := start.Add(time.Duration(float64(i+1) / o.throughput * 1e9))
			if d := time.Until(due); d > time.Millisecond {
				time.Sleep(d)
			}
		}
	}
	if err := cl.Flush(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "franz-perf: %v\n", err)
	}
	elapsed := time.Since(start).Seconds()
	cl.Close()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	user := float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
	sys := float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	sort.Slice(st.samples, func(a, b int) bool { return st.samples[a] < st.samples[b] })
	rate := float64(st.completed) / max(elapsed, 1e-9)
	mb := rate * float64(o.size) / 1024 / 1024
	avg := st.total / float64(max(st.completed, 1))
	fmt.Printf("%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "+
		"%.0f ms 50th, %.0f ms 95th, %.0f ms 99th, %.0f ms 99.9th.\n", st.completed, rate, mb, avg, st.max,
		st.percentile(0.5), st.percentile(0.95), st.percentile(0.99), st.percentile(0.999))
	if o.json {
		out, _ := json.Marshal(map[string]any{"client": "franz-go", "records": st.completed, "errors": st.errors,
			"records_per_sec": rate, "mb_per_sec": mb, "avg_ms": avg, "max_ms": st.max,
			"p50_ms": st.percentile(0.5), "p95_ms": st.percentile(0.95), "p99_ms": st.percentile(0.99),
			"p999_ms": st.percentile(0.999), "elapsed_s": elapsed, "cpu_s": user + sys, "user_s": user, "system_s": sys,
			"cpu_s_per_million": (user + sys) * 1e6 / float64(max(st.completed, 1)), "max_rss_kb": ru.Maxrss})
		fmt.Println(string(out))
	}
	if st.errors > 0 {
		os.Exit(1)
	}
}
