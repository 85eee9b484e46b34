//! The one error type of the generator.

use std::path::PathBuf;

/// Everything that can go wrong between reading spec files and producing the IR.
///
/// Messages are meant for a person fixing a spec or the lock: they always name
/// the file, and for spec content the JSON path (a JSON Pointer, RFC 6901).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A spec file is malformed: bad JSON, a wrong type, a missing key, an
    /// unknown type name or a dangling model reference.
    #[error("{}", spec_message(file, pointer, message))]
    Spec {
        /// The file, as the caller named it (e.g. `asterisk-23.4.1/api-docs/channels.json`).
        file: String,
        /// JSON Pointer to the offending value, e.g. `/apis/3/operations/0/parameters/2/dataType`;
        /// empty for the document root.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The spec files do not match `specs/specs.lock`, or the lock itself is unusable.
    #[error("{0}")]
    Lock(String),
    /// A fixup's preconditions do not hold in a version (e.g. both the typo'd
    /// and the correct key are present).
    #[error("fixup `{fixup}` on {version}: {message}")]
    Fixup {
        /// The fixup's name.
        fixup: &'static str,
        /// The version it ran on.
        version: String,
        /// What went wrong.
        message: String,
    },
    /// A fixup found nothing to fix in any of the imported versions: the
    /// upstream defect is gone and the fixup is stale.
    #[error("fixup `{fixup}` applies to none of the imported versions ({versions}): {message}")]
    StaleFixup {
        /// The fixup's name.
        fixup: &'static str,
        /// The versions it was run on, comma-separated.
        versions: String,
        /// What it looked for and where.
        message: String,
    },
    /// Naming or merging failed (e.g. curated enum names that contradict each other).
    #[error("{0}")]
    Naming(String),
    /// The imported specs are missing or incomplete.
    #[error("{0}")]
    Missing(String),
    /// A curated table (e.g. [`server_required`](crate::server_required)) names something the specs lack, or
    /// repeats what they already say.
    #[error("{0}")]
    Curated(String),
}

fn spec_message(file: &str, pointer: &str, message: &str) -> String {
    if pointer.is_empty() {
        format!("{file}: {message}")
    } else {
        format!("{file}: {pointer}: {message}")
    }
}

impl Error {
    /// Builds an [`Error::Spec`].
    pub fn spec(
        file: impl Into<String>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Spec {
            file: file.into(),
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// Builds an [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// A non-fatal finding while reading a spec file, e.g. an unknown key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The file, as the caller named it.
    pub file: String,
    /// JSON Pointer to the finding.
    pub pointer: String,
    /// What was found.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&spec_message(&self.file, &self.pointer, &self.message))
    }
}

/// Appends one reference token to a JSON Pointer, escaping `~` and `/` (RFC 6901).
pub fn pointer_push(pointer: &str, token: &str) -> String {
    let escaped = token.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}
