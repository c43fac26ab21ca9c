//! Timestamps in the form ASFF wants (RFC 3339, UTC, milliseconds).

/// Formats seconds since the epoch plus milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339(secs: i64, millis: u32) -> String {
    chrono::DateTime::from_timestamp(secs, millis * 1_000_000)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

/// Now, formatted.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Where time comes from: the system clock, or one a test sets and advances (leases and
/// budgets are judged against it, so a test moves time instead of sleeping).
#[derive(Clone)]
pub struct Clock(Option<std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::system"),
            Some(_) => write!(f, "Clock::manual({})", self.now()),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands at `at` until advanced.
    pub fn manual(at: chrono::DateTime<chrono::Utc>) -> Clock {
        Clock(Some(std::sync::Arc::new(std::sync::Mutex::new(at))))
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        match &self.0 {
            None => chrono::Utc::now(),
            Some(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Moves a manual clock forward (the system clock moves by itself).
    pub fn advance(&self, by: std::time::Duration) {
        if let Some(t) = &self.0 {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            *g += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
        }
    }
}
