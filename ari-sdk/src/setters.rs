//! `setters!`: the builder setters of the hand-written runtime, written as a list.
//!
//! Each entry is a documented method that takes `self` by value, stores one value (after an
//! optional conversion) and returns `self`:
//!
//! ```text
//! setters! {
//!     /// How long to wait (default 5 s).
//!     timeout(timeout: Duration) => timeout = timeout;
//!     /// The name (default: none).
//!     name(name: impl Into<String>) => name = Some(name.into());
//!     /// A nested field.
//!     accept(yes: bool) => tls.accept_invalid_certs = yes;
//! }
//! ```
//!
//! A setter that does more than store a value (pushes, takes two arguments) is written out.

/// Expands a list of `name(arg: Type) => field.path = value;` entries, each with its doc
/// attributes, into `pub fn name(mut self, arg: Type) -> Self`.
macro_rules! setters {
    ($(
        $(#[$attr:meta])*
        $name:ident($arg:ident: $ty:ty) => $($field:ident).+ = $value:expr;
    )*) => {
        $(
            $(#[$attr])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.$($field).+ = $value;
                self
            }
        )*
    };
}
