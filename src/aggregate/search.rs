//! The matching events themselves, for `authsift search`: in input order, owned (the input they
//! borrow from is gone by the time they are printed), and no more than `--limit` asks for.

use crate::event::Event;
use crate::filter::Attribute;
use crate::pipeline::Aggregate;

/// What is kept of each matching event.
pub trait Projection: Sync {
    type Row: Send;
    fn project(&self, event: &Event<'_>) -> Self::Row;
}

/// The whole normalised event.
pub struct WholeEvents;

impl Projection for WholeEvents {
    type Row = Event<'static>;
    fn project(&self, event: &Event<'_>) -> Event<'static> {
        event.to_owned_event()
    }
}

/// Chosen attributes, as JSON values (`null` when absent, an array for `target.*`).
pub struct Fields(pub Vec<Attribute>);

impl Projection for Fields {
    type Row = Vec<serde_json::Value>;
    fn project(&self, event: &Event<'_>) -> Vec<serde_json::Value> {
        self.0.iter().map(|a| a.to_json(event)).collect()
    }
}

/// Every event the pipeline lets through (it applies `--filter`), counted, and the first
/// `limit` of them kept.
pub struct Search<'p, P: Projection> {
    projection: &'p P,
    limit: Option<usize>,
    /// Events that matched, kept or not.
    pub matched: u64,
    pub rows: Vec<P::Row>,
}

impl<'p, P: Projection> Search<'p, P> {
    pub fn new(projection: &'p P, limit: Option<usize>) -> Search<'p, P> {
        Search {
            projection,
            limit,
            matched: 0,
            rows: Vec::new(),
        }
    }

    fn room(&self) -> usize {
        self.limit
            .map_or(usize::MAX, |limit| limit.saturating_sub(self.rows.len()))
    }
}

impl<P: Projection> Aggregate for Search<'_, P> {
    fn add(&mut self, event: &Event<'_>) {
        self.matched += 1;
        if self.room() > 0 {
            self.rows.push(self.projection.project(event));
        }
    }

    fn merge(&mut self, later: Self) {
        self.matched += later.matched;
        let room = self.room();
        self.rows.extend(later.rows.into_iter().take(room));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use std::borrow::Cow;

    fn event(uuid: &'static str) -> Event<'static> {
        Event::new(
            Cow::Borrowed(uuid),
            Timestamp(0),
            Cow::Borrowed("user.session.start"),
        )
    }

    fn uuids<'s>(search: &'s Search<'_, WholeEvents>) -> Vec<&'s str> {
        search.rows.iter().map(|e| e.uuid.as_ref()).collect()
    }

    #[test]
    fn merging_keeps_input_order_and_the_first_rows_up_to_the_limit() {
        let mut earlier = Search::new(&WholeEvents, Some(3));
        let mut later = Search::new(&WholeEvents, Some(3));
        for uuid in ["a", "b"] {
            earlier.add(&event(uuid));
        }
        for uuid in ["c", "d", "e", "f"] {
            later.add(&event(uuid));
        }
        assert_eq!((later.matched, uuids(&later)), (4, vec!["c", "d", "e"]));
        earlier.merge(later);
        assert_eq!((earlier.matched, uuids(&earlier)), (6, vec!["a", "b", "c"]));

        let mut unlimited = Search::new(&WholeEvents, None);
        for uuid in ["a", "b", "c"] {
            unlimited.add(&event(uuid));
        }
        assert_eq!(
            (unlimited.matched, uuids(&unlimited)),
            (3, vec!["a", "b", "c"])
        );
    }
}
