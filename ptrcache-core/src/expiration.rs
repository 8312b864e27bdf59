use std::time::Duration;

/// How long a stored value stays live.
///
/// `Expiration::After(d)` keeps the value for `d` after it is stored; `Expiration::Never` keeps
/// it until it is evicted, replaced or removed. As in the original Python `PtrCache`, a negative
/// number of seconds means "never":
///
/// ```
/// use std::time::Duration;
/// use ptrcache::Expiration;
///
/// assert_eq!(Expiration::from_secs(60), Expiration::After(Duration::from_secs(60)));
/// assert_eq!(Expiration::from_secs(-1), Expiration::Never);
/// assert_eq!(Expiration::from(Duration::from_millis(500)), Expiration::After(Duration::from_millis(500)));
/// ```
///
/// Odd values never panic: `After(Duration::MAX)` (or any duration that would overflow the
/// clock) behaves as `Never`, and `After(Duration::ZERO)` is already expired when stored, so it
/// is returned to the caller but not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiration {
    /// The value expires this long after it is stored.
    After(Duration),
    /// The value never expires.
    Never,
}

impl Expiration {
    /// The default expiration of a cache: 3 hours, as in the original.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(ptrcache::Expiration::DEFAULT, ptrcache::Expiration::After(Duration::from_secs(3 * 60 * 60)));
    /// ```
    pub const DEFAULT: Expiration = Expiration::After(Duration::from_secs(3 * 60 * 60));

    /// Whole seconds, where a negative number means [`Expiration::Never`].
    ///
    /// ```
    /// use ptrcache::Expiration;
    /// assert_eq!(Expiration::from_secs(-5), Expiration::Never);
    /// assert_eq!(Expiration::from_secs(0).duration(), Some(std::time::Duration::ZERO));
    /// ```
    #[must_use]
    pub const fn from_secs(secs: i64) -> Self {
        if secs < 0 { Expiration::Never } else { Expiration::After(Duration::from_secs(secs.unsigned_abs())) }
    }

    /// The duration, or `None` for [`Expiration::Never`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use ptrcache::Expiration;
    /// assert_eq!(Expiration::After(Duration::from_secs(1)).duration(), Some(Duration::from_secs(1)));
    /// assert_eq!(Expiration::Never.duration(), None);
    /// ```
    #[must_use]
    pub const fn duration(self) -> Option<Duration> {
        match self {
            Expiration::After(duration) => Some(duration),
            Expiration::Never => None,
        }
    }
}

impl Default for Expiration {
    /// [`Expiration::DEFAULT`]: 3 hours.
    fn default() -> Self {
        Expiration::DEFAULT
    }
}

impl From<Duration> for Expiration {
    fn from(duration: Duration) -> Self {
        Expiration::After(duration)
    }
}
