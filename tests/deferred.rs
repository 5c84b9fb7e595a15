//! Parts an aggregate reads only for some events (`Aggregate::deferrable`) are stepped over in
//! the others and read when an event needs them: for those events, and for the records it
//! reports, deferring changes nothing, whatever the chunk size and thread count; what it
//! changes is that an object of an event that does not need it is checked for structure only.

mod common;

use authsift::event::{Event, OutcomeResult, Parts};
use authsift::pipeline::{Aggregate, Options, Run, read_bytes};
use common::testdata;
use serde_json::Value;

/// The actor and client IP of failures and denials, as `timeline` counts them.
fn failure_of(event: &Event<'_>) -> bool {
    matches!(
        event.outcome.result,
        Some(OutcomeResult::Failure | OutcomeResult::Deny)
    )
}

fn describe(event: &Event<'_>) -> Value {
    serde_json::json!({
        "uuid": event.uuid,
        "actor": event.actor,
        "ip": event.client.ip_address,
    })
}

/// The failures and denials of a run, described; `DEFER` says whether their actor and client
/// are deferred, so that a deferring run and one that reads in full compare.
#[derive(Default)]
struct Failures<const DEFER: bool>(Vec<Value>);

type Deferring = Failures<true>;
type Eager = Failures<false>;

impl<const DEFER: bool> Aggregate for Failures<DEFER> {
    const PARTS: Parts = Parts::ACTOR.with(Parts::CLIENT);

    fn deferrable(&self) -> Parts {
        if DEFER { Self::PARTS } else { Parts::CORE }
    }

    fn needs_parts(&self, event: &Event<'_>) -> bool {
        failure_of(event)
    }

    fn add(&mut self, event: &Event<'_>) {
        if failure_of(event) {
            self.0.push(describe(event));
        }
    }

    fn merge(&mut self, later: Self) {
        self.0.extend(later.0);
    }
}

const NAME: &str = "shapes/deferred.ndjson";

/// Reads the fixture in chunks of `chunk_size` bytes on `threads` threads.
fn run<A: Aggregate + Default>(chunk_size: usize, threads: usize) -> Run<A> {
    let data = std::fs::read(testdata(NAME)).expect("fixture");
    read_with(NAME, &data, chunk_size, threads)
}

fn read_with<A: Aggregate + Default>(
    name: &str,
    data: &[u8],
    chunk_size: usize,
    threads: usize,
) -> Run<A> {
    let options = Options {
        chunk_size,
        examples_per_kind: 10,
        ..Options::default()
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(|| read_bytes(name, data, &options, A::default).expect("run succeeds"))
}

#[test]
fn deferred_parts_read_as_eager_ones_for_the_events_that_need_them() {
    let eager = run::<Eager>(1 << 20, 1);
    let deferring = run::<Deferring>(1 << 20, 1);
    let expected: Vec<Value> = serde_json::from_str(
        r#"[
        {"uuid":"00000000-0000-4000-8000-000000000001","ip":"192.0.2.1",
         "actor":{"id":null,"type":null,"alternateId":"one@example.com","displayName":null}},
        {"uuid":"00000000-0000-4000-8000-000000000004","ip":"192.0.2.4",
         "actor":{"id":null,"type":null,"alternateId":"four@example.com","displayName":"Four"}},
        {"uuid":"00000000-0000-4000-8000-000000000008","ip":"192.0.2.8",
         "actor":{"id":null,"type":null,"alternateId":"eight@example.com","displayName":null}}
        ]"#,
    )
    .expect("JSON");
    assert_eq!(eager.aggregate.0, expected);
    assert_eq!(deferring.aggregate.0, expected);

    // The failures whose actor or client breaks the grammar are skipped either way, at the
    // same place and for the same reason.
    let invalid = |line: usize, at: usize, why: &str| {
        format!("{NAME}:{line}: skipped record (invalid JSON: {why}) at byte {at}")
    };
    let (comma_3, literal_7) = (
        invalid(3, 490, "expected `,` or `}`"),
        invalid(7, 1494, "invalid literal"),
    );
    assert_eq!(
        deferring.files[0].messages[..2],
        [comma_3.clone(), literal_7.clone()]
    );
    assert_eq!(deferring.files[0].skipped_total(), 2);
    assert_eq!(
        (deferring.files[0].events, deferring.files[0].duplicates),
        (5, 1)
    );
    // Read in full, the successes with a broken actor or client are skipped too.
    assert_eq!(
        eager.files[0].messages[..4],
        [
            invalid(2, 250, "expected `,` or `}`"),
            comma_3,
            invalid(5, 1047, "expected a key"),
            literal_7
        ]
    );
    assert_eq!((eager.files[0].events, eager.files[0].duplicates), (3, 1));
}

/// A chunk that folded a duplicate is read again to fold the others: that reading must accept
/// the same records as the first, or the duplicate after a record only deferring accepts would
/// be counted in place of the events after it.
#[test]
fn deferring_gives_the_same_result_whatever_the_chunks() {
    let whole = run::<Deferring>(1 << 20, 1);
    for threads in [1, 4] {
        for chunk_size in (1..=400).step_by(7).chain([600, 1000, 1500]) {
            let chunked = run::<Deferring>(chunk_size, threads);
            let file = &chunked.files[0];
            assert_eq!(
                (
                    &chunked.aggregate.0,
                    file.events,
                    file.duplicates,
                    &file.skipped
                ),
                (
                    &whole.aggregate.0,
                    whole.files[0].events,
                    whole.files[0].duplicates,
                    &whole.files[0].skipped
                ),
                "chunks of {chunk_size} bytes on {threads} threads"
            );
        }
    }
}

/// The commands: `timeline` reads actors and clients of failures and denials only, so the
/// success whose actor lacks a comma and the one whose client ends in a stray comma count as
/// read, where `agents --all` and `summary`, which read them for every event, skip them.
#[test]
fn timeline_skips_only_the_records_broken_where_it_reads() {
    let path = format!("testdata/{NAME}");
    let warning = |line: usize, why: &str, at: usize| {
        format!(
            "authsift: warning: {path}:{line}: skipped record (invalid JSON: {why}) at byte {at}\n"
        )
    };
    let duplicate = format!(
        "authsift: note: {path}: 1 duplicate event (same uuid and published time as an event \
         already read) counted once\n"
    );
    let (_, stderr, code) = common::authsift(&["timeline", &path]);
    assert_eq!(
        (stderr, code),
        (
            warning(3, "expected `,` or `}`", 490)
                + &warning(7, "invalid literal", 1494)
                + &format!("authsift: warning: {path}: 2 records skipped (invalid JSON 2)\n")
                + &duplicate,
            0
        )
    );
    let every_event = warning(2, "expected `,` or `}`", 250)
        + &warning(3, "expected `,` or `}`", 490)
        + &warning(5, "expected a key", 1047)
        + &format!("authsift: warning: {path}: 4 records skipped (invalid JSON 4)\n")
        + &duplicate;
    for command in [&["agents", "--all"][..], &["summary"]] {
        let (_, stderr, code) = common::authsift(&[command, &[path.as_str()]].concat());
        assert_eq!(
            (stderr.as_str(), code),
            (every_event.as_str(), 0),
            "{command:?}"
        );
    }
}

fn run_bytes<A: Aggregate + Default>(data: &[u8]) -> Run<A> {
    read_with("input.ndjson", data, Options::default().chunk_size, 1)
}

/// Records that are not events a deferring aggregate counts, for reasons the deferred objects
/// do not decide, are reported as reading them in full reports them: a broken object is
/// invalid JSON before it is a missing field, an unreadable time or an envelope.
#[test]
fn broken_deferred_objects_are_reported_as_reading_in_full_does() {
    let failure = r#""eventType":"user.session.start","outcome":{"result":"FAILURE"}"#;
    let cases = [
        // An Event Hook envelope whose own actor breaks the grammar: skipped whole, its events
        // not counted.
        format!(
            r#"{{"eventType":"com.okta.event_hook","actor":{{"a":1 "b":2}},"data":{{"events":[{{"uuid":"u1","published":"2024-05-01T00:00:01Z",{failure},"actor":{{"alternateId":"x@example.com"}}}}]}}}}"#
        ),
        format!(
            r#"{{"eventType":"com.okta.event_hook","client":{{"ipAddress":"192.0.2.1",}},"data":{{"events":[{{"uuid":"u1","published":"2024-05-01T00:00:01Z",{failure}}}]}}}}"#
        ),
        // No uuid, or an unreadable time: invalid JSON all the same.
        format!(r#"{{"actor":{{"a":1 "b":2}},"published":"2024-05-01T00:00:01Z",{failure}}}"#),
        format!(r#"{{"uuid":"u1","actor":{{"a":1 "b":2}},"published":"yesterday",{failure}}}"#),
        // A failure, which needs its actor and client: the error where reading in full finds it,
        // not where the structure scan stopped.
        format!(
            r#"{{"uuid":"u1","actor":{{"alternateId":foo}},"published":"2024-05-01T00:00:01Z",{failure}}}"#
        ),
        format!(
            r#"{{"uuid":"u1","actor":{{"alternateId":"x@example.com,"id":"1"}},"published":"2024-05-01T00:00:01Z",{failure}}}"#
        ),
        format!(
            r#"{{"uuid":"u1","client":{{"ipAddress":"192.0.2.1"]}},"published":"2024-05-01T00:00:01Z",{failure}}}"#
        ),
    ];
    for case in cases {
        let input = format!("{case}\n");
        let eager = run_bytes::<Eager>(input.as_bytes());
        let deferring = run_bytes::<Deferring>(input.as_bytes());
        let (eager_file, deferring_file) = (&eager.files[0], &deferring.files[0]);
        assert_eq!(
            (
                &deferring.aggregate.0,
                deferring_file.events,
                &deferring_file.skipped,
                &deferring_file.messages
            ),
            (
                &eager.aggregate.0,
                eager_file.events,
                &eager_file.skipped,
                &eager_file.messages
            ),
            "{case}"
        );
        assert_eq!(eager_file.events, 0, "{case}");
    }
}
