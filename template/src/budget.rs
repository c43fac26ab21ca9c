//! Budgets: what auditing one template may cost, counted where the cost arises.
//!
//! A template is attacker-controlled in the pipeline, so its size on disk says little about
//! the work it causes: YAML aliases multiply text, `Fn::FindInMap` chains multiply resolution,
//! `Fn::ForEach` multiplies resources. Each budget counts the expanded quantity:
//!
//! - `bytes`: text (keys and scalars) of the document after YAML alias expansion, including
//!   the copies the parser keeps of anchored nodes;
//! - `nodes`: values of the document after YAML alias expansion (same counting);
//! - `depth`: nesting of the document after YAML alias expansion;
//! - `resources`: resources after `Fn::ForEach` expansion;
//! - `steps`: intrinsic resolution work: one step per node the resolver visits or produces,
//!   per mapping or condition entry it scans, and per 64 bytes of text it builds or copies;
//! - `time`: wall-clock time for the template (and, in the pipeline, what is left of the job).
//!
//! Exceeding one ends the audit of that template with an error naming the budget and the
//! place; the work stops there (checks are cooperative and frequent, so nothing keeps running).

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::node::Pos;

/// One of the budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    Bytes,
    Nodes,
    Depth,
    Resources,
    Steps,
    Time,
}

impl Budget {
    pub const ALL: [Budget; 6] = [
        Budget::Bytes,
        Budget::Nodes,
        Budget::Depth,
        Budget::Resources,
        Budget::Steps,
        Budget::Time,
    ];

    /// Name used in errors, reports and the pipeline's `limits` object.
    pub fn name(self) -> &'static str {
        match self {
            Budget::Bytes => "bytes",
            Budget::Nodes => "nodes",
            Budget::Depth => "depth",
            Budget::Resources => "resources",
            Budget::Steps => "steps",
            Budget::Time => "time",
        }
    }

    /// The command-line option that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Budget::Bytes => "--max-bytes",
            Budget::Nodes => "--max-nodes",
            Budget::Depth => "--max-depth",
            Budget::Resources => "--max-resources",
            Budget::Steps => "--max-steps",
            Budget::Time => "--timeout",
        }
    }

    /// Key in the pipeline's `limits` object.
    pub fn key(self) -> &'static str {
        match self {
            Budget::Time => "seconds",
            b => b.name(),
        }
    }

    /// Unit of the limit as written in messages.
    fn unit(self) -> &'static str {
        match self {
            Budget::Bytes => " bytes",
            Budget::Nodes => " nodes",
            Budget::Depth => " levels",
            Budget::Resources => " resources",
            Budget::Steps => " steps",
            Budget::Time => " ms",
        }
    }

    pub fn parse(name: &str) -> Option<Budget> {
        Budget::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// Limits for one template. `time` is in milliseconds (0 = no time budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub bytes: u64,
    pub nodes: u64,
    pub depth: u64,
    pub resources: u64,
    pub steps: u64,
    pub time_ms: u64,
}

/// Defaults: far above real templates (CloudFormation accepts 1 MB and 500 resources), and
/// together small enough that a template at every limit fits a 256 MB Lambda.
pub const DEFAULT_LIMITS: Limits = Limits {
    bytes: 16 * 1024 * 1024,
    nodes: 500_000,
    depth: 128,
    resources: 10_000,
    steps: 1_000_000,
    time_ms: 0,
};

/// Hard maxima a configuration may raise the limits to. Depth is bounded by the stack (every
/// stage recurses once per level), the others by memory a large machine can hold.
pub const MAX_LIMITS: Limits = Limits {
    bytes: 256 * 1024 * 1024,
    nodes: 5_000_000,
    depth: 256,
    resources: 100_000,
    steps: 20_000_000,
    time_ms: 15 * 60 * 1000,
};

impl Default for Limits {
    fn default() -> Self {
        DEFAULT_LIMITS
    }
}

/// A limit outside `1..=maximum`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{budget} limit {value} is outside 1..={max} ({flag})")]
pub struct LimitError {
    pub budget: &'static str,
    pub flag: &'static str,
    pub value: u64,
    pub max: u64,
}

impl Limits {
    pub fn get(&self, b: Budget) -> u64 {
        match b {
            Budget::Bytes => self.bytes,
            Budget::Nodes => self.nodes,
            Budget::Depth => self.depth,
            Budget::Resources => self.resources,
            Budget::Steps => self.steps,
            Budget::Time => self.time_ms,
        }
    }

    /// Set one limit, refusing zero and anything above the hard maximum.
    pub fn set(&mut self, b: Budget, value: u64) -> Result<(), LimitError> {
        let max = MAX_LIMITS.get(b);
        if value == 0 || value > max {
            return Err(LimitError {
                budget: b.name(),
                flag: b.flag(),
                value,
                max,
            });
        }
        match b {
            Budget::Bytes => self.bytes = value,
            Budget::Nodes => self.nodes = value,
            Budget::Depth => self.depth = value,
            Budget::Resources => self.resources = value,
            Budget::Steps => self.steps = value,
            Budget::Time => self.time_ms = value,
        }
        Ok(())
    }

    pub fn time(&self) -> Option<Duration> {
        (self.time_ms > 0).then(|| Duration::from_millis(self.time_ms))
    }

    /// Depth as a `usize` for the recursive stages.
    pub fn depth(&self) -> usize {
        usize::try_from(self.depth).unwrap_or(usize::MAX)
    }
}

/// A budget that ran out, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{line}:{col}: {}", self.describe())]
pub struct Exceeded {
    pub budget: Budget,
    pub limit: u64,
    pub line: u32,
    pub col: u32,
    pub what: String,
}

impl Exceeded {
    pub fn new(budget: Budget, limit: u64, pos: Pos, what: impl Into<String>) -> Self {
        Exceeded {
            budget,
            limit,
            line: pos.line,
            col: pos.col,
            what: what.into(),
        }
    }

    /// The message without the location.
    pub fn describe(&self) -> String {
        format!(
            "{} budget exceeded: {} (limit {}{}; raise with {} or limits.{})",
            self.budget.name(),
            self.what,
            self.limit,
            self.budget.unit(),
            self.budget.flag(),
            self.budget.key()
        )
    }

    /// The time budget ran out (the limit is the budget that applied, in ms).
    pub fn time(deadline: &Deadline, pos: Pos, what: impl Into<String>) -> Self {
        let limit = u64::try_from(deadline.budget.as_millis()).unwrap_or(u64::MAX);
        Exceeded::new(Budget::Time, limit, pos, what)
    }
}

/// When the audit of a template must stop, if ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Option<Instant>,
    /// The time that was granted, for messages.
    budget: Duration,
}

impl Deadline {
    pub const NONE: Deadline = Deadline {
        at: None,
        budget: Duration::ZERO,
    };

    /// From now, the earlier of `limit` and an outer deadline (a pipeline job's).
    pub fn start(limit: Option<Duration>, outer: Option<Instant>) -> Deadline {
        let now = Instant::now();
        let own = limit.and_then(|l| now.checked_add(l));
        let at = match (own, outer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Deadline {
            at,
            budget: at
                .map(|a| a.saturating_duration_since(now))
                .unwrap_or_default(),
        }
    }

    pub fn passed(&self) -> bool {
        self.at.is_some_and(|a| Instant::now() >= a)
    }

    pub fn is_set(&self) -> bool {
        self.at.is_some()
    }
}

/// How often (in charged units) the clock is read: cheap enough to be frequent, rare enough
/// not to show in profiles.
const CLOCK_EVERY: u64 = 4096;

/// The resolver's meter: steps and the deadline, with interior mutability because resolution
/// works through shared references. Once exceeded it stays exceeded, and every further charge
/// fails at once, so the resolver unwinds in time linear in what it had already started.
#[derive(Debug)]
pub struct Meter {
    steps: Cell<u64>,
    max_steps: u64,
    next_clock: Cell<u64>,
    deadline: Deadline,
    exceeded: RefCell<Option<Exceeded>>,
}

impl Meter {
    pub fn new(max_steps: u64, deadline: Deadline) -> Self {
        Meter {
            steps: Cell::new(0),
            max_steps,
            next_clock: Cell::new(CLOCK_EVERY),
            deadline,
            exceeded: RefCell::new(None),
        }
    }

    /// A meter that never runs out (for callers that want plain resolution).
    pub fn unlimited() -> Self {
        Meter::new(u64::MAX, Deadline::NONE)
    }

    /// Charge `n` steps for work at `pos`; `false` once any budget is exceeded.
    pub fn charge(&self, n: u64, pos: Pos) -> bool {
        if self.exceeded.borrow().is_some() {
            return false;
        }
        let used = self.steps.get().saturating_add(n);
        self.steps.set(used);
        if used > self.max_steps {
            self.trip(Exceeded::new(
                Budget::Steps,
                self.max_steps,
                pos,
                format!(
                    "intrinsic resolution needs more than {} steps",
                    self.max_steps
                ),
            ));
            return false;
        }
        if used >= self.next_clock.get() {
            self.next_clock.set(used.saturating_add(CLOCK_EVERY));
            if self.deadline.passed() {
                self.trip(Exceeded::time(
                    &self.deadline,
                    pos,
                    "the template's time ran out while resolving intrinsic functions",
                ));
                return false;
            }
        }
        true
    }

    /// Charge text of `len` bytes (one step per 64 bytes).
    pub fn charge_text(&self, len: usize, pos: Pos) -> bool {
        self.charge(u64::try_from(len / 64).unwrap_or(u64::MAX), pos)
    }

    /// Record a budget exceeded elsewhere (the first one wins).
    pub fn trip(&self, e: Exceeded) {
        let mut slot = self.exceeded.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    }

    pub fn tripped(&self) -> bool {
        self.exceeded.borrow().is_some()
    }

    pub fn exceeded(&self) -> Option<Exceeded> {
        self.exceeded.borrow().clone()
    }

    /// Steps left before the budget is exceeded.
    pub fn remaining(&self) -> u64 {
        self.max_steps.saturating_sub(self.steps.get())
    }

    pub fn steps(&self) -> u64 {
        self.steps.get()
    }

    pub fn deadline(&self) -> Deadline {
        self.deadline
    }
}
