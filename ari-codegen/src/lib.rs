//! `ari-codegen`: turns Asterisk's ARI Swagger specs into Rust.
//!
//! Stages, each pure and separately tested:
//! `spec` (serde mirror of the dialect) → `fixups` (known upstream defects) →
//! `ir` (normalised, multi-version model) → `emit` (IR → tokens) → `render` (tokens → formatted text).
#![warn(missing_docs)]

pub mod error;
pub mod ir;
pub mod spec;

pub use error::{Error, Warning};
