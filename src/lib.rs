//! authsift: offline forensics for identity-provider logs.
//!
//! The pipeline: [`input`] recognises export shapes and reads chunks into [`event::Event`]s,
//! [`classify`] tags them (legacy auth, failure, client family), [`aggregate`] folds them into
//! mergeable aggregates on rayon workers driven by [`pipeline`], and [`report`] prints the
//! results for the [`commands`].

pub mod aggregate;
pub mod classify;
pub mod cli;
pub mod commands;
pub mod dedup;
pub mod detect;
pub mod error;
pub mod event;
pub mod filter;
pub mod input;
pub mod memory;
pub mod pipeline;
pub mod prefetch;
pub mod report;
pub mod time;
