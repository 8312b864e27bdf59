//! The time source of expiry: deadlines are nanoseconds on the monotonic clock.
//!
//! A precise clock read (`Instant::now()`, ~22 ns here) costs about as much as a whole hit, so
//! the hit path reads the kernel's coarse monotonic clock instead (5–8 ns on Linux, through the
//! vDSO). The coarse clock is the precise one as of the last timekeeping update, normally each
//! timer tick (4 ms here), but updates can be late: on this 2-vCPU VM it lagged by up to 6.5 ms
//! (and 8.7 ms in another probe) after sleeps and under load. An entry whose deadline is more
//! than [`COARSE_WINDOW_NANOS`] (100 ms, ten times the worst lag seen) after the coarse time is
//! certainly live; only entries that close to their deadline pay for a precise read. So no
//! value is served after its deadline, while the common case stays cheap.
//!
//! Deadlines are set from the coarse clock too ([`coarse_now`]), which saves a precise read on
//! every insertion: a stored value may therefore expire as early as the coarse clock lags (a
//! tick, up to the 6.5–8.7 ms above; DESIGN.md allows 10 ms) before `set` time + expiration,
//! never after.
//!
//! On other platforms, or if the coarse clock ticks slower than every 5 ms (a 100 Hz kernel), every
//! check and deadline is precise.
//!
//! With the test-only `mock-clock` feature, every read (coarse and precise alike, so the two
//! stay consistent) adds a process-global offset that `advance_mock_clock` moves forward, so
//! tests can cross deadlines without sleeping.

/// A point on the monotonic clock, in nanoseconds.
pub(crate) type Nanos = u64;

/// The deadline of an entry that never expires.
pub(crate) const NEVER: Nanos = Nanos::MAX;

/// How far the coarse clock may lag the precise one and still be trusted.
const COARSE_WINDOW_NANOS: Nanos = 100_000_000;

/// The coarsest tick the coarse clock may have to be used at all: deadlines are set from it, so
/// a value may expire about a tick early, and DESIGN.md allows 10 ms (a 100 Hz kernel's tick
/// would use it all).
const COARSE_MAX_RESOLUTION_NANOS: Nanos = 5_000_000;

/// The precise time.
pub(crate) fn now() -> Nanos {
    mock::shift(imp::precise())
}

/// The coarse time: never ahead of [`now`], behind it by about a tick (see the module docs).
/// What deadlines are computed from, and what most sweeps compare with (they may only remove
/// entries that have certainly expired, as the precise time also guarantees).
#[inline]
pub(crate) fn coarse_now() -> Nanos {
    mock::shift(imp::coarse().unwrap_or_else(imp::precise))
}

/// Whether an entry with `deadline` has expired: exact, and cheap unless the deadline is near.
#[inline]
pub(crate) fn is_expired(deadline: Nanos) -> bool {
    if deadline == NEVER {
        return false;
    }
    match imp::coarse().map(mock::shift) {
        Some(coarse) if coarse.saturating_add(COARSE_WINDOW_NANOS) < deadline => false,
        _ => expired_precisely(deadline),
    }
}

/// [`is_expired`] for a deadline near enough to need the precise clock (or for every deadline
/// where the coarse clock is not used): out of line, so that the hit path it is inlined into
/// stays small.
#[cold]
#[inline(never)]
fn expired_precisely(deadline: Nanos) -> bool {
    now() >= deadline
}

/// The deadline of a value stored at `now` for `expiration`; overflow means never.
pub(crate) fn deadline(now: Nanos, expiration: crate::Expiration) -> Nanos {
    match expiration.duration() {
        None => NEVER,
        Some(duration) => u64::try_from(duration.as_nanos())
            .ok()
            .and_then(|nanos| now.checked_add(nanos))
            .filter(|&deadline| deadline != NEVER)
            .unwrap_or(NEVER),
    }
}

/// Moves the clock of every cache in the process forward by `by` (test-only `mock-clock`
/// feature). Time never goes back; real time keeps passing as well.
#[cfg(feature = "mock-clock")]
#[doc(hidden)]
pub fn advance_mock_clock(by: std::time::Duration) {
    let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
    // `fetch_update` saturates instead of wrapping, so a huge advance cannot send time back.
    let _ = mock::OFFSET.fetch_update(
        std::sync::atomic::Ordering::SeqCst,
        std::sync::atomic::Ordering::SeqCst,
        |offset| Some(offset.saturating_add(nanos)),
    );
}

/// The test clock's offset: zero and free without the `mock-clock` feature.
mod mock {
    use super::Nanos;

    /// Nanoseconds added to every clock read. A plain std atomic even under loom: it is
    /// process-global test scaffolding, not part of the protocol being model-checked.
    #[cfg(feature = "mock-clock")]
    pub(super) static OFFSET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    #[cfg(feature = "mock-clock")]
    #[inline]
    pub(super) fn shift(time: Nanos) -> Nanos {
        time.saturating_add(OFFSET.load(std::sync::atomic::Ordering::SeqCst))
    }

    #[cfg(not(feature = "mock-clock"))]
    #[allow(
        clippy::inline_always,
        reason = "the identity on every clock read of the hit path: it must never cost a call, \
                  not even in a debug build"
    )]
    #[inline(always)]
    pub(super) fn shift(time: Nanos) -> Nanos {
        time
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::Nanos;
    use rustix::time::{ClockId, Timespec, clock_getres, clock_gettime};
    use std::sync::OnceLock;

    #[allow(
        clippy::cast_sign_loss,
        reason = "the monotonic clocks and their resolution are never negative, and `tv_nsec` is \
                  in 0..1e9, so the casts are exact"
    )]
    fn nanos(time: Timespec) -> Nanos {
        (time.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(time.tv_nsec as u64)
    }

    pub(super) fn precise() -> Nanos {
        nanos(clock_gettime(ClockId::Monotonic))
    }

    #[inline]
    pub(super) fn coarse() -> Option<Nanos> {
        // The coarse clock is used only if its tick is fine enough for the early expiry it
        // causes (see `COARSE_MAX_RESOLUTION_NANOS`).
        static USABLE: OnceLock<bool> = OnceLock::new();
        let usable = *USABLE.get_or_init(|| {
            let resolution = nanos(clock_getres(ClockId::MonotonicCoarse));
            resolution > 0 && resolution <= super::COARSE_MAX_RESOLUTION_NANOS
        });
        usable.then(|| nanos(clock_gettime(ClockId::MonotonicCoarse)))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::Nanos;
    use std::{sync::OnceLock, time::Instant};

    pub(super) fn precise() -> Nanos {
        static BASE: OnceLock<Instant> = OnceLock::new();
        let base = *BASE.get_or_init(Instant::now);
        // Start at 1 s so that no deadline is ever 0.
        u64::try_from(base.elapsed().as_nanos()).unwrap_or(super::NEVER - 1) + 1_000_000_000
    }

    #[inline]
    pub(super) fn coarse() -> Option<Nanos> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Expiration;
    use std::time::Duration;

    #[test]
    fn huge_durations_never_expire() {
        let now = now();
        assert_eq!(deadline(now, Expiration::After(Duration::MAX)), NEVER);
        assert_eq!(deadline(now, Expiration::Never), NEVER);
        assert!(!is_expired(NEVER));
    }

    #[test]
    fn zero_duration_is_expired_at_once() {
        let at = deadline(now(), Expiration::After(Duration::ZERO));
        assert!(is_expired(at));
    }

    #[test]
    fn deadline_is_exact_near_the_boundary() {
        let start = now();
        let at = deadline(start, Expiration::After(Duration::from_millis(200)));
        assert!(!is_expired(at), "a 200 ms deadline expired at once");
        std::thread::sleep(Duration::from_millis(201));
        assert!(is_expired(at), "a value was live past its deadline");
    }

    #[test]
    fn coarse_clock_never_runs_ahead() {
        for _ in 0..10_000 {
            if let Some(coarse) = imp::coarse() {
                assert!(coarse <= now());
            }
        }
    }
}
