//! Fast deterministic randomness: SplitMix64, a bijective key scrambler and an exact Zipf
//! sampler. Everything is precomputed outside the timed loops.

/// SplitMix64: tiny, fast and good enough for workload generation.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// SplitMix64's finalizer: a bijection on `u64`, used to turn ranks into scattered keys, so that
/// hot keys are not small consecutive integers.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of rank `rank` (a bijection, so distinct ranks give distinct keys).
#[inline]
pub fn key_of(rank: u64) -> u64 {
    mix64(rank ^ 0x5EED_CAFE_F00D_0001)
}

/// Exact Zipf sampling over ranks `0..n` with exponent `theta`: P(rank r) ∝ 1 / (r + 1)^theta,
/// by binary search in the cumulative distribution.
#[derive(Debug)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// The distribution over `n` ranks.
    pub fn new(n: usize, theta: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for rank in 0..n {
            sum += 1.0 / ((rank + 1) as f64).powf(theta);
            cdf.push(sum);
        }
        for p in &mut cdf {
            *p /= sum;
        }
        Zipf { cdf }
    }

    /// One rank.
    #[inline]
    pub fn sample(&self, rng: &mut SplitMix64) -> u64 {
        let u = rng.unit();
        self.cdf.partition_point(|&p| p < u).min(self.cdf.len() - 1) as u64
    }

    /// `len` keys (ranks scrambled by [`key_of`]).
    pub fn keys(&self, len: usize, seed: u64) -> Vec<u64> {
        let mut rng = SplitMix64::new(seed);
        (0..len).map(|_| key_of(self.sample(&mut rng))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_top_rank_share_matches_theory() {
        let zipf = Zipf::new(1000, 0.99);
        let mut rng = SplitMix64::new(1);
        let draws = 200_000;
        let top = (0..draws).filter(|_| zipf.sample(&mut rng) == 0).count() as f64 / draws as f64;
        let expected = zipf.cdf[0];
        assert!((top - expected).abs() < 0.01, "top share {top} vs {expected}");
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = SplitMix64::new(7);
        assert!((0..10_000).all(|_| rng.below(13) < 13));
    }
}
