//! Turns SDK errors into one readable line (`Code: message`) for results and reports.

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// `Code: message` when the service said so, otherwise the full error chain.
pub fn describe<E>(err: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// True when the error is the service's NoSuchEntity-style "it is not there" answer.
pub fn is_code<E: ProvideErrorMetadata>(err: &E, code: &str) -> bool {
    err.code() == Some(code)
}
