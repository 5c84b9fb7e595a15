//! Micro-benchmarks of the readers and classifiers, in MB/s of input (`cargo bench --bench
//! parsers`). The input is the bundled sample repeated to a few megabytes; the end-to-end
//! comparison with DuckDB and jq on gigabyte files is `benches/e2e.sh` (see BENCHMARKS.md).

use std::hint::black_box;

use authsift::aggregate::timeline::Timeline;
use authsift::classify::{client, is_legacy};
use authsift::event::{Event, Parts};
use authsift::input::{Chunk, EventSink, detect};
use authsift::pipeline::Aggregate;
use authsift::time::Timestamp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// The sample export in `name`, its records repeated until the input holds about 8 MB.
fn repeated(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let detected = detect(&data).unwrap_or_else(|e| panic!("{path}: {e}"));
    let (head, body) = data.split_at(detected.body_start);
    let mut out = head.to_vec();
    while out.len() < 8 << 20 {
        out.extend_from_slice(body);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// The bundled sample as NDJSON: one compact event per line.
fn ndjson() -> Vec<u8> {
    let path = format!("{}/testdata/okta-sample.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let events: Vec<serde_json::Value> =
        serde_json::from_str(&text).expect("the sample is a JSON array");
    let mut out = Vec::new();
    while out.len() < 8 << 20 {
        for event in &events {
            serde_json::to_writer(&mut out, event).expect("writes to memory");
            out.push(b'\n');
        }
    }
    out
}

/// Counts the events read, so that reading is all that is measured.
struct Count(usize);

impl EventSink for Count {
    fn event(&mut self, event: &Event<'_>) {
        black_box(event);
        self.0 += 1;
    }
}

/// Keeps a copy of every event read.
struct Collect(Vec<Event<'static>>);

impl EventSink for Collect {
    fn event(&mut self, event: &Event<'_>) {
        self.0.push(event.to_owned_event());
    }
}

fn readers(c: &mut Criterion) {
    let mut group = c.benchmark_group("read");
    for (name, data) in [
        ("ndjson", ndjson()),
        ("json-array-pretty", repeated("okta-sample.json")),
        ("csv-admin", repeated("okta-sample.csv")),
    ] {
        let detected = detect(&data).expect("a known shape");
        let chunk = Chunk {
            from: detected.body_start,
            until: data.len(),
            known_start: true,
            at_eof: true,
        };
        group.throughput(Throughput::Bytes(data.len() as u64));
        // Every part (search), and the parts `timeline` reads.
        for (parts_name, parts) in [("all", Parts::ALL), ("timeline", Timeline::PARTS)] {
            group.bench_function(format!("{name}/{parts_name}"), |b| {
                b.iter(|| {
                    black_box(
                        detected
                            .shape
                            .read_chunk(black_box(&data), chunk, parts, Count(0))
                            .sink
                            .0,
                    )
                })
            });
        }
    }
    group.finish();
}

fn classifiers(c: &mut Criterion) {
    let data = ndjson();
    let detected = detect(&data).expect("NDJSON");
    let chunk = Chunk {
        from: 0,
        until: data.len(),
        known_start: true,
        at_eof: true,
    };
    let events = detected
        .shape
        .read_chunk(&data, chunk, Parts::ALL, Collect(Vec::new()))
        .sink
        .0;
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("is_legacy", |b| {
        b.iter(|| events.iter().filter(|e| is_legacy(black_box(e))).count())
    });
    group.bench_function("client_family", |b| {
        b.iter(|| {
            events
                .iter()
                .map(|e| {
                    client::family(black_box(e.client.raw_user_agent.as_deref().unwrap_or("")))
                        .len()
                })
                .sum::<usize>()
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("timestamp_parse", |b| {
        b.iter(|| Timestamp::parse(black_box("2024-05-01T13:00:00.123Z")))
    });
    group.finish();
}

criterion_group!(benches, readers, classifiers);
criterion_main!(benches);
