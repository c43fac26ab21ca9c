//! Turns SDK errors into one readable line (`Code: message`) for results and reports.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// `Code: message` when the service said so, otherwise the error's chain of messages (not the
/// raw response, which an unparseable answer would otherwise drag into every report row).
pub fn describe<E>(err: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{code}: {msg}"),
        (Some(code), None) => code.to_string(),
        _ => {
            let mut out = err.to_string();
            let mut source = err.source();
            while let Some(s) = source {
                out.push_str(": ");
                out.push_str(&s.to_string());
                source = s.source();
            }
            out
        }
    }
}

/// True when the error is the service's NoSuchEntity-style "it is not there" answer.
pub fn is_code<E: ProvideErrorMetadata>(err: &E, code: &str) -> bool {
    err.code() == Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::error::ErrorMetadata;

    #[derive(Debug)]
    struct Leaf;
    impl std::fmt::Display for Leaf {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("unexpected token '<'")
        }
    }
    impl std::error::Error for Leaf {}

    #[derive(Debug)]
    struct Outer(ErrorMetadata, Leaf);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("service error")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }
    impl ProvideErrorMetadata for Outer {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    #[test]
    fn modeled_errors_give_code_and_message_others_their_chain() {
        let e = Outer(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("no")
                .build(),
            Leaf,
        );
        assert_eq!(describe(&e), "AccessDenied: no");
        let e = Outer(ErrorMetadata::builder().build(), Leaf);
        assert_eq!(describe(&e), "service error: unexpected token '<'");
    }
}
