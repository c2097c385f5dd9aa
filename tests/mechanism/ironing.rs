//! Ironing: the optimum when the paper's Condition 2 fails.
//!
//! The crate irons `L` and `H` separately and clamps them at `η`. These
//! tests compare that with what it must equal:
//!
//! * reference numbers for two non-regular markets, computed outside the
//!   crate (`../shared/notes/ironing.md`, a solver that knows nothing of the
//!   crate's method, and a convex program over all mechanisms);
//! * an oracle written here: the notes' problem `J(V)` (maximise
//!   `∫ f (−V²/2 + H V) − β ∫ (η − V)⁺` over non-decreasing `V`) discretised on
//!   a fine grid of cells and solved by pool-adjacent-violators, with cell
//!   averages by Gauss–Legendre quadrature of the distribution's own density
//!   and CDF. It uses none of the crate's ironing, closed forms or roots;
//! * the laws of the model: `V` non-decreasing, the interim allocation
//!   non-increasing, Lemma 1 feasibility, `Σ X = 0`, symmetry.

use exchange_design::distribution::{EndowmentDistribution, PiecewiseLinear, TruncatedNormal};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{check_feasibility, OptimalMechanism};
use std::sync::Arc;

use crate::common;

/// A two-component truncated-normal mixture as a *user* type: only support,
/// CDF, density and partial moment, so everything else goes through the
/// trait's quadrature defaults.
#[derive(Debug)]
struct TwoModes {
    weight: f64,
    left: TruncatedNormal,
    right: TruncatedNormal,
}

impl TwoModes {
    fn new(weight: f64, left: (f64, f64), right: (f64, f64), lo: f64, hi: f64) -> Self {
        Self {
            weight,
            left: TruncatedNormal::new(left.0, left.1, lo, hi).unwrap(),
            right: TruncatedNormal::new(right.0, right.1, lo, hi).unwrap(),
        }
    }
}

impl EndowmentDistribution for TwoModes {
    fn support(&self) -> (f64, f64) {
        self.left.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.weight * self.left.cdf(z) + (1.0 - self.weight) * self.right.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.weight * self.left.pdf(z) + (1.0 - self.weight) * self.right.pdf(z)
    }
    fn partial_moment(&self, z: f64) -> f64 {
        self.weight * self.left.partial_moment(z)
            + (1.0 - self.weight) * self.right.partial_moment(z)
    }
}

/// The tabulated density of the issue and the notes: dips near ±0.7.
fn two_dips() -> PiecewiseLinear {
    PiecewiseLinear::new(
        vec![-1.0, -0.8, -0.7, -0.6, 0.0, 0.6, 0.7, 0.8, 1.0],
        vec![1.0, 1.0, 0.03, 1.0, 1.0, 1.0, 0.03, 1.0, 1.0],
    )
    .unwrap()
}

/// Gauss–Legendre nodes and weights on [−1, 1] (8 points), written out.
const GL8: [(f64, f64); 8] = [
    (-0.960_289_856_497_536_3, 0.101_228_536_290_376_26),
    (-0.796_666_477_413_626_7, 0.222_381_034_453_374_47),
    (-0.525_532_409_916_329, 0.313_706_645_877_887_3),
    (-0.183_434_642_495_649_8, 0.362_683_783_378_362),
    (0.183_434_642_495_649_8, 0.362_683_783_378_362),
    (0.525_532_409_916_329, 0.313_706_645_877_887_3),
    (0.796_666_477_413_626_7, 0.222_381_034_453_374_47),
    (0.960_289_856_497_536_3, 0.101_228_536_290_376_26),
];

fn gl_panel<F: FnMut(f64) -> f64>(g: &mut F, a: f64, b: f64) -> f64 {
    let (c, r) = (0.5 * (a + b), 0.5 * (b - a));
    GL8.iter().map(|&(x, w)| w * g(c + r * x)).sum::<f64>() * r
}

/// `∫_a^b g` by 8-point Gauss–Legendre, split at the points in `kinks`
/// (where the density has corners) so that every panel is smooth.
fn gl<F: FnMut(f64) -> f64>(mut g: F, a: f64, b: f64, kinks: &[f64]) -> f64 {
    let mut start = a;
    let mut acc = 0.0;
    for &k in kinks.iter().filter(|&&k| k > a && k < b) {
        acc += gl_panel(&mut g, start, k);
        start = k;
    }
    acc + gl_panel(&mut g, start, b)
}

/// The oracle: the optimal non-decreasing `V` on `n` equal cells, as the
/// `f`-weighted average per cell, for weight `beta` and level `eta`.
fn oracle(d: &dyn EndowmentDistribution, beta: f64, eta: f64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let (lo, hi) = d.support();
    let h = (hi - lo) / n as f64;
    let edges: Vec<f64> = (0..=n).map(|k| lo + h * k as f64).collect();
    let v = oracle_on(d, beta, eta, &edges);
    (edges, v)
}

/// The oracle on the cells between the given edges (sorted, spanning the
/// support).
fn oracle_on(d: &dyn EndowmentDistribution, beta: f64, eta: f64, edges: &[f64]) -> Vec<f64> {
    let n = edges.len() - 1;
    // Per cell: mass w, ∫ H f and ∫ L f.
    struct Block {
        first: usize,
        w: f64,
        sh: f64,
        sl: f64,
    }
    let value = |b: &Block| {
        let (vh, vl) = (b.sh / b.w, b.sl / b.w);
        if vh >= eta {
            vh
        } else if vl <= eta {
            vl
        } else {
            eta
        }
    };
    let mut blocks: Vec<Block> = Vec::with_capacity(n);
    for k in 0..n {
        let (a, b) = (edges[k], edges[k + 1]);
        let w = gl(|z| d.pdf(z), a, b, d.kinks());
        let zf = gl(|z| z * d.pdf(z), a, b, d.kinks());
        let int_f = gl(|z| d.cdf(z), a, b, d.kinks());
        let sh = zf - beta * ((b - a) - int_f);
        let sl = zf + beta * int_f;
        blocks.push(Block {
            first: k,
            w,
            sh,
            sl,
        });
        while blocks.len() >= 2 {
            let last = &blocks[blocks.len() - 1];
            let prev = &blocks[blocks.len() - 2];
            if value(prev) > value(last) {
                let last = blocks.pop().unwrap();
                let prev = blocks.last_mut().unwrap();
                prev.w += last.w;
                prev.sh += last.sh;
                prev.sl += last.sl;
            } else {
                break;
            }
        }
    }
    let mut v = vec![0.0; n];
    for (i, b) in blocks.iter().enumerate() {
        let end = blocks.get(i + 1).map_or(n, |nb| nb.first);
        let val = value(b);
        v[b.first..end].iter_mut().for_each(|x| *x = val);
    }
    v
}

/// Three classes: the tabulated dips, a two-mode mixture (`count` traders)
/// and a uniform class whose mean is not proportional to its κ.
fn mixed_market(count: u64) -> Market {
    Market::new(vec![
        TraderClass::new(1.0, two_dips(), 2),
        TraderClass::new(
            0.5,
            TwoModes::new(0.4, (-0.5, 0.12), (0.5, 0.12), -1.0, 1.0),
            count,
        ),
        TraderClass::new(
            2.0,
            exchange_design::distribution::Uniform::new(-0.5, 1.5).unwrap(),
            1,
        ),
    ])
    .unwrap()
}

/// Largest difference between the crate's `V` (as an `f`-weighted cell
/// average) and the oracle's, over cells at least two cells away from a
/// point where `V` has a corner (ends of the binding interval and of pools).
fn oracle_gap(mech: &OptimalMechanism, class: usize, n: usize) -> f64 {
    let c = mech.class(class);
    let v = c.virtual_value();
    let d = v.distribution();
    let (edges, ov) = oracle(d, mech.beta(), c.virtual_value().eta(), n);
    let h = edges[1] - edges[0];
    let (za, zb) = c.virtual_value().binding_interval();
    let mut corners = vec![za, zb];
    for (a, b) in c.virtual_value().ironed_intervals() {
        corners.extend([a, b]);
    }
    let mut worst: f64 = 0.0;
    for k in 0..ov.len() {
        let (a, b) = (edges[k], edges[k + 1]);
        if corners.iter().any(|&x| x > a - 2.0 * h && x < b + 2.0 * h) {
            continue;
        }
        let w = gl(|z| d.pdf(z), a, b, d.kinks());
        let mean_v = gl(|z| v.value(z) * d.pdf(z), a, b, d.kinks()) / w;
        worst = worst.max((mean_v - ov[k]).abs());
    }
    worst
}

fn assert_monotone(mech: &OptimalMechanism) {
    for (k, c) in mech.classes().iter().enumerate() {
        let v = c.virtual_value();
        let (lo, hi) = v.distribution().support();
        let mut prev_v = f64::NEG_INFINITY;
        let mut prev_x = f64::INFINITY;
        for i in 0..=4000 {
            // Clamped: `lo + (hi − lo)` can round to just above `hi`.
            let z = (lo + (hi - lo) * i as f64 / 4000.0).min(hi);
            let vz = v.value(z);
            assert!(vz >= prev_v - 1e-12, "class {k}: V decreases at z = {z}");
            let x = mech.interim_allocation(k, z).unwrap();
            assert!(x <= prev_x + 1e-12, "class {k}: x̄ increases at z = {z}");
            prev_v = vz;
            prev_x = x;
        }
    }
}

#[test]
fn tabulated_density_with_dips_matches_the_reference_optimum() {
    let mech =
        OptimalMechanism::solve(&Market::symmetric(3, 1.0, two_dips()).unwrap(), 1.0).unwrap();
    // Reference (notes): revenue 0.158716, efficiency −0.246512; the
    // un-ironed clamp claimed 0.198154 with an asymmetric interval.
    assert!(
        (mech.revenue() - 0.158716).abs() < 1e-6,
        "{}",
        mech.revenue()
    );
    assert!(
        (mech.efficiency() + 0.246512).abs() < 1e-6,
        "{}",
        mech.efficiency()
    );
    let (za, zb) = mech.class(0).virtual_value().binding_interval();
    assert!(
        (za + zb).abs() < 1e-9,
        "binding interval [{za}, {zb}] is not symmetric"
    );
    assert!((za + 0.4515).abs() < 1e-3);
    // Two pools, mirror images of each other.
    let pools = mech.class(0).virtual_value().ironed_intervals();
    assert_eq!(pools.len(), 2, "{pools:?}");
    assert!((pools[0].0 + pools[1].1).abs() < 1e-9 && (pools[0].1 + pools[1].0).abs() < 1e-9);
    assert_monotone(&mech);
    check_feasibility(&mech).unwrap();
}

#[test]
fn two_mode_mixture_matches_the_reference_optimum() {
    let d = TwoModes::new(0.5, (-0.6, 0.15), (0.6, 0.15), -1.0, 1.0);
    let m = Market::new(vec![TraderClass::new(0.5, d, 2)]).unwrap();
    let mech = OptimalMechanism::solve(&m, 1.0).unwrap();
    assert!(
        (mech.revenue() - 0.211120).abs() < 1e-6,
        "{}",
        mech.revenue()
    );
    let (za, zb) = mech.class(0).virtual_value().binding_interval();
    assert!((za + zb).abs() < 1e-9);
    assert_monotone(&mech);
    check_feasibility(&mech).unwrap();
}

/// Five non-regular shapes, each against the oracle at three grid sizes: the
/// gap must be below 1e-7 at the finest and must not grow as the grid is
/// refined.
#[test]
fn exact_ironing_agrees_with_the_grid_oracle() {
    let shapes: Vec<(&str, Arc<dyn EndowmentDistribution>, f64, u64)> = vec![
        ("two dips", Arc::new(two_dips()), 1.0, 3),
        (
            "asymmetric two-mode mixture",
            Arc::new(TwoModes::new(0.3, (-0.5, 0.1), (0.4, 0.2), -1.0, 1.0)),
            1.0,
            3,
        ),
        (
            "narrow mode beside a wide one",
            Arc::new(TwoModes::new(0.8, (0.0, 1.0), (0.5, 0.01), -1.0, 1.0)),
            1.0,
            3,
        ),
        (
            "dip near the upper end",
            Arc::new(
                PiecewiseLinear::new(
                    vec![0.0, 0.5, 0.85, 0.9, 0.95, 1.0],
                    vec![1.0, 1.4, 1.0, 0.05, 1.0, 1.0],
                )
                .unwrap(),
            ),
            1.0,
            4,
        ),
        (
            "dip near the lower end",
            Arc::new(
                PiecewiseLinear::new(
                    vec![-2.0, -1.95, -1.9, -1.8, 0.0, 1.0],
                    vec![1.0, 0.04, 1.0, 1.0, 1.2, 0.8],
                )
                .unwrap(),
            ),
            2.0,
            3,
        ),
    ];
    for (name, d, kappa, count) in shapes {
        let m = Market::new(vec![TraderClass::from_shared(kappa, d, count)]).unwrap();
        let mut ironed: f64 = 0.0;
        for alpha in [0.4, 1.0] {
            let mech = OptimalMechanism::solve(&m, alpha).unwrap();
            // The oracle's own error shrinks like its cell width squared
            // (less where the virtual type is steep at a pool's end).
            let gaps: Vec<f64> = [4000, 16000, 64000]
                .iter()
                .map(|&n| oracle_gap(&mech, 0, n))
                .collect();
            assert!(
                gaps[2] < 1e-7 && gaps[2] <= gaps[1].max(1e-9) && gaps[1] <= gaps[0].max(1e-9),
                "{name}, alpha = {alpha}: oracle gaps {gaps:?} at 4000, 16000, 64000 cells"
            );
            // The stated bound on what the ironing's tolerance can do to the
            // objective is far below what the oracle can resolve.
            let bound = mech.status().ironing_bound;
            assert!(
                (0.0..1e-8).contains(&bound),
                "{name}: ironing bound {bound:e}"
            );
            assert_monotone(&mech);
            {
                let c = mech.class(0);
                let v = c.virtual_value();
                let (lo, hi) = v.distribution().support();
                let departure = (0..=2000)
                    .map(|k| {
                        let z = lo + (hi - lo) * k as f64 / 2000.0;
                        (v.value(z) - v.lower(z).min(v.upper(z).max(c.virtual_value().eta()))).abs()
                    })
                    .fold(0.0, f64::max);
                ironed = ironed.max(departure);
            }
        }
        // The tabulated shapes are non-regular where it matters: the ironed
        // V departs from the plain clamp of the raw L and H. For mixtures of
        // well-separated modes the trough, where H falls and L rises
        // steeply, lies inside the binding interval, and the clamp happens
        // to be monotone already: ironing must then change nothing.
        if name == "asymmetric two-mode mixture" {
            assert!(
                ironed < 1e-9,
                "{name}: V departs from the clamp by {ironed:e}"
            );
        } else {
            assert!(ironed > 1e-3, "{name}: nothing was ironed");
        }
    }
}

/// Two deep troughs close together (found by a random search over
/// tabulated densities): the pools found on the scan grid overlap once made
/// exact, and the ironing merges them and starts again. The answer agrees
/// with the oracle at 64 000 cells to 1e-7, as in
/// `exact_ironing_agrees_with_the_grid_oracle`; the oracle's own error here
/// does not fall steadily with the cell count (3.9e-9, 3.5e-8, 3.3e-9 at
/// α = 0.8), so only the finest grid is asserted.
#[test]
fn merged_first_guess_pools_agree_with_the_grid_oracle() {
    let d = PiecewiseLinear::new(
        vec![0.0, 0.0271, 0.2498, 0.3675, 0.4201, 0.5942, 0.6291, 0.6506],
        vec![1.326, 1.511, 1.431, 0.0512, 0.0512, 0.870, 0.0356, 1.397],
    )
    .unwrap();
    let m = Market::new(vec![TraderClass::new(1.0, d, 2)]).unwrap();
    for alpha in [0.6, 0.8, 1.0] {
        let mech = OptimalMechanism::solve(&m, alpha).unwrap();
        let gap = oracle_gap(&mech, 0, 64000);
        assert!(gap < 1e-7, "alpha = {alpha}: oracle gap {gap:e}");
        check_feasibility(&mech).unwrap();
        assert_monotone(&mech);
        // The class is ironed (the second trough's pool; the first lies in
        // the binding interval at these weights).
        assert!(!mech.class(0).virtual_value().ironed_intervals().is_empty());
    }
}

/// Densities on which ironing used to fail with "the ironed type still
/// decreases" (5 of 9 000 solves in a random search over tabulated
/// densities with deep dips, each beside a uniform class): one first-guess
/// block held two dips, its pool made exact covered only the first, and
/// widening the block on retry changed nothing. The block is now split at
/// the decrease. Each market solves, is feasible, and its ironed class
/// agrees with the grid oracle at 64 000 cells to 1e-7.
#[test]
fn a_block_holding_two_dips_is_split_and_agrees_with_the_oracle() {
    let cases: [(f64, &[f64], &[f64]); 5] = [
        (
            0.6,
            &[
                0.0,
                0.028205330666341136,
                0.08848904734872738,
                0.32231637710954897,
                0.6118249208333524,
                0.6911629721329693,
                0.7703819033362203,
                0.9373410933846806,
                1.124614894614083,
                1.3506098342089095,
            ],
            &[
                0.01726352780489098,
                0.039737432154259275,
                0.027196271942245297,
                1.1525661901926685,
                2.0081159240112854,
                1.2096650687036885,
                1.4163894409009519,
                0.009823898937980882,
                0.9456002796265564,
                2.169287140211283,
            ],
        ),
        (
            0.2,
            &[
                0.0,
                0.17051876081091286,
                0.2816698783512624,
                0.34506232594214803,
                0.35579165071868274,
                0.449187787974025,
                0.5109536164832587,
                0.7959848771364075,
                0.8535277034384533,
                1.002464977050929,
                1.0797668689038409,
                1.2820972098652352,
                1.542358834404623,
                1.6605490653225492,
            ],
            &[
                1.9519258743180756,
                1.7924798701180176,
                1.1262765577083047,
                1.5415934181119175,
                0.013832217748688612,
                1.5449415532546396,
                1.7882738667279081,
                1.7662695557878554,
                0.005788282278747767,
                1.9029083856483782,
                0.9728347833266289,
                0.05032958851695501,
                0.9933546509538587,
                0.01297373744100088,
            ],
        ),
        (
            0.6,
            &[
                0.0,
                0.028301988892624676,
                0.18950626345743435,
                0.4373890507417123,
                0.6579612335445136,
                0.7443263664894024,
                0.7753733816978264,
                0.8766073665163967,
                1.0063193052752561,
                1.1843336603587327,
            ],
            &[
                1.3853094887444584,
                0.7857175277394928,
                0.021622638241724036,
                0.5090382796945876,
                1.481698575247744,
                2.1047528498987504,
                0.010930038138770214,
                0.010069613409751814,
                1.291455303013467,
                0.8801301453381725,
            ],
        ),
        (
            1.0,
            &[
                0.0,
                0.17322577444806186,
                0.35977801276183086,
                0.43100355723631767,
                0.5715243046822358,
                0.8301537552677826,
                0.8454340299316445,
                1.1019516527233932,
                1.3684769401556127,
                1.6526324417150082,
                1.7646676787618671,
                1.8498926596582228,
            ],
            &[
                0.6192675201064293,
                0.016542372278249437,
                0.653797938275843,
                1.2006561472531867,
                1.7529268652632561,
                1.4647735556557702,
                0.8791160769767912,
                0.027251488771140246,
                0.5038295091015632,
                0.5076127820663086,
                0.05103168348222084,
                0.019022821223033323,
            ],
        ),
        (
            1.0,
            &[
                0.0,
                0.2822477515363807,
                0.49401350948352163,
                0.7575940092250587,
                0.9425413189144191,
                1.132546069766343,
                1.3017183857434922,
                1.3412599401505116,
                1.5024092020231052,
                1.5527900226719538,
                1.7798473027131123,
                1.9866440211986325,
                2.181091160985271,
            ],
            &[
                1.3843151960126998,
                0.023871403759192753,
                0.050402225789376066,
                0.021154378539644973,
                0.04930393832583417,
                0.8260553723210968,
                0.6140415643031873,
                0.0032122916131498065,
                1.556488642342325,
                1.0478779827368325,
                2.0617912425872427,
                2.2955462773824307,
                0.05104960367681868,
            ],
        ),
    ];
    for (case, (alpha, z, f)) in cases.into_iter().enumerate() {
        let d = PiecewiseLinear::new(z.to_vec(), f.to_vec()).unwrap();
        let m = Market::new(vec![
            TraderClass::new(1.0, d, 2),
            TraderClass::new(
                1.0,
                exchange_design::distribution::Uniform::new(-0.5, 1.5).unwrap(),
                1,
            ),
        ])
        .unwrap();
        let mech = OptimalMechanism::solve(&m, alpha)
            .unwrap_or_else(|e| panic!("case {case}, alpha = {alpha}: {e}"));
        check_feasibility(&mech).unwrap();
        assert_monotone(&mech);
        let gap = oracle_gap(&mech, 0, 64000);
        assert!(
            gap < 1e-7,
            "case {case}, alpha = {alpha}: oracle gap {gap:e}"
        );
    }
}

/// A mild dip: `H` and `L` are monotone at a small weight (the class keeps
/// the plain clamp) but not at `β = 1` (it is ironed). Both agree with the
/// oracle.
#[test]
fn a_class_can_be_regular_at_one_weight_and_ironed_at_another() {
    // L' = 1 + β (1 − (F/f)(f'/f)) turns negative on the rising side of the
    // dip once β > 1/(max (F/f)(f'/f) − 1) ≈ 0.26.
    let d = PiecewiseLinear::new(
        vec![-1.0, -0.85, -0.75, -0.65, 1.0],
        vec![1.0, 1.0, 0.5, 1.0, 1.0],
    )
    .unwrap();
    let m = Market::symmetric(3, 1.0, d).unwrap();
    let low = OptimalMechanism::solve(&m, 0.05).unwrap();
    let high = OptimalMechanism::solve(&m, 1.0).unwrap();
    assert!(
        low.class(0).virtual_value().ironed_intervals().is_empty(),
        "{:?}",
        low.class(0).virtual_value().ironed_intervals()
    );
    let v = low.class(0).virtual_value();
    // Regular at this weight: V is the plain clamp of L and H.
    for z in [-0.9, -0.8, -0.75, -0.7, -0.6, 0.5, 0.9] {
        let clamp = v.lower(z).min(v.upper(z).max(v.eta()));
        assert!(
            (v.value(z) - clamp).abs() < 1e-15,
            "z = {z}: V = {}, clamp = {clamp}, binding {:?}",
            v.value(z),
            v.binding_interval()
        );
    }
    assert!(!high.class(0).virtual_value().ironed_intervals().is_empty());
    for mech in [&low, &high] {
        assert!(oracle_gap(mech, 0, 16000) < 1e-7);
        assert_monotone(mech);
    }
}

/// The ironed solution in a heterogeneous market: every Lemma 1 condition,
/// the exchange constraint, and the envelope formula for the utility gain.
#[test]
fn ironed_heterogeneous_market_is_feasible() {
    let m = mixed_market(2);
    for alpha in [0.0, 0.3, 0.7, 1.0] {
        let mech = OptimalMechanism::solve(&m, alpha).unwrap();
        assert!(mech.revenue() >= -1e-10);
        if alpha == 0.0 {
            // Means are not proportional to κ: the budget binds at α = 0.
            assert!(mech.budget_binding() && mech.revenue().abs() < 1e-10);
        }
        assert_monotone(&mech);
        check_feasibility(&mech).unwrap();
        let x = mech.allocation(&[0.7, -0.72, 0.55, -0.3, 1.2]).unwrap();
        let scale: f64 = x.iter().map(|v| v.abs()).sum();
        assert!(x.iter().sum::<f64>().abs() <= 1e-14 * scale.max(1.0));
    }
}

/// The un-ironed clamp `median(H, η, L)` on the tabulated example: it claims
/// more revenue than the optimum (0.198154, from the notes' independent
/// computation) and is infeasible, since its interim allocation increases
/// somewhere (Lemma 1, condition 3). Computed here from the raw `L` and `H`
/// that the crate exposes, with the level found by bisection in the test.
#[test]
fn the_unironed_clamp_is_not_incentive_compatible() {
    let d = two_dips();
    let mech =
        OptimalMechanism::solve(&Market::symmetric(3, 1.0, two_dips()).unwrap(), 1.0).unwrap();
    let v = mech.class(0).virtual_value();
    let clamp = |eta: f64, z: f64| v.lower(z).min(v.upper(z).max(eta));
    // Symmetric market: η = κ/(K − κ) · 2 E[V] = E[V]; E[V(η)] − η decreases.
    let mean = |eta: f64| {
        let kinks = d.kinks().to_vec();
        let n = 4000;
        (0..n)
            .map(|k| {
                let (a, b) = (
                    -1.0 + 2.0 * k as f64 / n as f64,
                    -1.0 + 2.0 * (k + 1) as f64 / n as f64,
                );
                gl(|z| clamp(eta, z) * d.pdf(z), a, b, &kinks)
            })
            .sum::<f64>()
    };
    let (mut lo, mut hi) = (-1.0, 1.0);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if mean(mid) - mid > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let eta = 0.5 * (lo + hi);
    // x̄(z) = −(1 − w)(V(z) − η) with w = 1/3: increasing where V decreases.
    let mut rises = 0;
    let mut prev = f64::INFINITY;
    for k in 0..=4000 {
        let z = -1.0 + 2.0 * k as f64 / 4000.0;
        let x = -(2.0 / 3.0) * (clamp(eta, z) - eta);
        if x > prev + 1e-9 {
            rises += 1;
        }
        prev = x;
    }
    assert!(rises > 0, "the raw clamp should not be monotone here");
    assert!(mech.revenue() < 0.198154 - 0.03);
}

/// Every solver variant that applies handles ironed classes and agrees with
/// the default; the linear variant (uniform markets only) refuses with a
/// typed error.
#[test]
fn solver_variants_agree_on_an_ironed_market() {
    use exchange_design::mechanism::{MechanismError, SolverConfig, SolverVariant};
    use exchange_design::numerics::RootMethod;
    let m = mixed_market(1);
    for alpha in [0.0, 0.5, 1.0] {
        let base = OptimalMechanism::solve(&m, alpha).unwrap();
        for cfg in [
            SolverConfig::default().with_variant(SolverVariant::DenseNewton),
            SolverConfig::default()
                .with_inner(RootMethod::Brent)
                .with_outer(RootMethod::Brent),
        ] {
            let other = OptimalMechanism::solve_with(&m, alpha, &cfg).unwrap();
            assert!((other.revenue() - base.revenue()).abs() < 1e-9);
            assert!((other.efficiency() - base.efficiency()).abs() < 1e-9);
            for (a, b) in base.classes().iter().zip(other.classes()) {
                assert!((a.virtual_value().eta() - b.virtual_value().eta()).abs() < 1e-9);
            }
        }
        let linear = SolverConfig::default().with_variant(SolverVariant::UniformLinear);
        assert!(matches!(
            OptimalMechanism::solve_with(&m, alpha, &linear),
            Err(MechanismError::VariantNotApplicable { .. })
        ));
    }
}

/// Theorem 2 on an ironed market: the side payments' expected revenue (by
/// quadrature over the types) equals the direct mechanism's, every class's
/// worst type gains exactly nothing, and a seeded Monte Carlo of the double
/// auction with side payments agrees within four standard errors.
#[test]
fn side_payments_and_monte_carlo_on_an_ironed_market() {
    use exchange_design::implementation::{SidePayments, Simulation, SimulationConfig};
    let m = Market::new(vec![
        TraderClass::new(1.0, two_dips(), 2),
        TraderClass::new(
            0.5,
            TwoModes::new(0.8, (0.0, 1.0), (0.5, 0.01), -1.0, 1.0),
            2,
        ),
    ])
    .unwrap();
    for alpha in [0.3, 1.0] {
        let mech = OptimalMechanism::solve(&m, alpha).unwrap();
        assert!(mech
            .classes()
            .iter()
            .any(|c| !c.virtual_value().ironed_intervals().is_empty()));
        let rules = SidePayments::new(&mech).unwrap();
        let r = rules.expected_revenue();
        assert!(
            (r - mech.revenue()).abs() < 1e-8,
            "{r} vs {}",
            mech.revenue()
        );
        for (k, c) in rules.classes().iter().enumerate() {
            let g = c.expected_gain_per_trader();
            let (za, _) = mech.class(k).virtual_value().binding_interval();
            assert!(c.expected_gain(za).unwrap().abs() < 1e-10);
            assert!(g >= -1e-12);
        }
        let cfg = SimulationConfig {
            auctions: 20_000,
            seed: 7,
            ..SimulationConfig::default()
        };
        let report = Simulation::new(&rules, cfg).unwrap().run().unwrap();
        assert!(
            report.revenue.covers(r, 4.0),
            "MC {:?} vs {r}",
            report.revenue
        );
    }
}

/// Largest difference between the crate's `V` and the oracle's on the cells
/// between `edges`, skipping cells within two cells of a corner of `V`.
fn oracle_gap_on(mech: &OptimalMechanism, class: usize, edges: &[f64]) -> f64 {
    let c = mech.class(class);
    let v = c.virtual_value();
    let d = v.distribution();
    let ov = oracle_on(d, mech.beta(), c.virtual_value().eta(), edges);
    let (za, zb) = c.virtual_value().binding_interval();
    let mut corners = vec![za, zb];
    for (a, b) in c.virtual_value().ironed_intervals() {
        corners.extend([a, b]);
    }
    let mut worst: f64 = 0.0;
    for k in 2..ov.len().saturating_sub(2) {
        let (a, b) = (edges[k], edges[k + 1]);
        if corners
            .iter()
            .any(|&x| x > edges[k - 2] && x < edges[k + 3])
        {
            continue;
        }
        let w = gl(|z| d.pdf(z), a, b, d.kinks());
        if w <= 0.0 {
            continue;
        }
        let mean_v = gl(|z| v.value(z) * d.pdf(z), a, b, d.kinks()) / w;
        worst = worst.max((mean_v - ov[k]).abs());
    }
    worst
}

/// `V` non-decreasing and the interim allocation non-increasing on the given
/// types of class `k`.
fn assert_monotone_at(mech: &OptimalMechanism, k: usize, types: &[f64]) {
    let v = mech.class(k).virtual_value();
    let mut prev = (f64::NEG_INFINITY, f64::INFINITY);
    for &z in types {
        let (vz, x) = (v.value(z), mech.interim_allocation(k, z).unwrap());
        assert!(vz >= prev.0 - 1e-12, "class {k}: V decreases at z = {z}");
        assert!(x <= prev.1 + 1e-12, "class {k}: x̄ increases at z = {z}");
        prev = (vz, x);
    }
}

fn spec_market(json: &str) -> (Market, f64) {
    let spec: exchange_design::spec::Spec = serde_json::from_str(json).unwrap();
    (spec.market().unwrap(), spec.alpha)
}

/// A five-node table whose upper type dips twice, one dip right at the
/// support's lower end: the revenue agrees with an independent
/// pool-adjacent-violators reference (0.02169166039, computed outside the
/// crate) and with the oracle here.
#[test]
fn a_five_node_table_with_a_dip_at_its_end_is_ironed() {
    let (market, alpha) = spec_market(
        r#"{"alpha": 1.0, "traders": [{"kappa": 1.0, "count": 2, "distribution": {"family": "piecewise_linear",
        "z": [-0.12, 0.068, 0.13, 0.17, 0.83], "density": [0.71, 0.01, 2.1, 0.00028, 1.6]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert!(
        (mech.revenue() - 0.02169166039).abs() < 1e-10,
        "{}",
        mech.revenue()
    );
    assert_monotone(&mech);
    assert!(oracle_gap(&mech, 0, 16000) < 1e-7);
}

/// A uniform population overlapping a triangular one: the density jumps
/// down inside the support, so the lower type falls there.
#[test]
fn a_density_that_jumps_down_is_ironed() {
    let (market, alpha) = spec_market(
        r#"{"alpha": 0.54, "traders": [{"kappa": 1.0, "count": 2, "distribution": {"family": "mixture", "components": [
        {"weight": 1.0, "distribution": {"family": "uniform", "lo": 0.605688, "hi": 1.05329}},
        {"weight": 1.0, "distribution": {"family": "triangular", "lo": 1.00598, "mode": 1.1228, "hi": 1.23994}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert_monotone(&mech);
    assert!(oracle_gap(&mech, 0, 16000) < 1e-7);
}

/// Two tight clusters of traders with almost nobody between them: the
/// stretch between them carries next to no probability and is pooled.
#[test]
fn two_tight_clusters_with_nobody_between_are_pooled() {
    let (market, alpha) = spec_market(
        r#"{"alpha": 0.0, "traders": [
        {"kappa": 1.0, "count": 3, "distribution": {"family": "uniform", "lo": -0.62, "hi": 1.7}},
        {"kappa": 1.0, "count": 3, "distribution": {"family": "mixture", "components": [
          {"weight": 1.0, "distribution": {"family": "truncated_normal", "mu": 0.3, "sigma": 0.018, "lo": 0.29, "hi": 0.92}},
          {"weight": 1.0, "distribution": {"family": "truncated_normal", "mu": 0.75, "sigma": 0.01, "lo": 0.29, "hi": 0.92}}]}}]}"#,
    );
    // At α = 0 the budget binds at a weight near 1e-57, where the dip of
    // the upper type sits in the stretch of almost no probability: the
    // mechanism balances the budget and is as efficient as the first-best
    // clamp at β = 0 (the stretch carries no mass). Revenue rises by 4e-3
    // between weights of 1e-100 and 1e-40, so which trial of the search
    // breaks even first, and how closely, is down to the last digits of
    // the moments: the promise is the search's allowance (1.7e-11 here).
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let zero = common::budget_allowance(&market);
    assert!(
        mech.budget_binding() && mech.revenue().abs() <= zero,
        "revenue {} against {zero}",
        mech.revenue()
    );
    let at_zero = OptimalMechanism::solve_unconstrained(&market, 0.0, &Default::default()).unwrap();
    assert!((mech.efficiency() - at_zero.efficiency()).abs() < 1e-12);
    let types: Vec<f64> = (0..=20000)
        .map(|k| 0.29 + 0.63 * k as f64 / 20000.0)
        .collect();
    assert_monotone(&mech);
    assert_monotone_at(&mech, 1, &types);
    // (The grid oracle cannot be used here: its cells between the clusters
    // hold no probability in floating point, and pool-adjacent-violators
    // divides by their mass.)
    for alpha in [0.5, 1.0] {
        let mech = OptimalMechanism::solve(&market, alpha).unwrap();
        assert_monotone(&mech);
        assert_monotone_at(&mech, 1, &types);
        assert!(mech.status().ironing_bound < 1e-8);
        let x = mech.allocation(&[0.1, -0.3, 1.2, 0.3, 0.52, 0.75]).unwrap();
        assert!(x.iter().all(|v| v.is_finite()) && x.iter().sum::<f64>().abs() < 1e-12);
    }
}

/// A uniform population on [−1, 1] with 0.2 % of its traders in a cluster
/// (σ = 0.0002) at `at`, three traders, α = 1.
fn clustered(at: f64, sigma: f64) -> Market {
    let d = exchange_design::distribution::Mixture::new(vec![
        (
            0.998,
            Arc::new(exchange_design::distribution::Uniform::new(-1.0, 1.0).unwrap())
                as Arc<dyn EndowmentDistribution>,
        ),
        (
            0.002,
            Arc::new(TruncatedNormal::new(at, sigma, -1.0, 1.0).unwrap()),
        ),
    ])
    .unwrap();
    Market::new(vec![TraderClass::new(1.0, d, 3)]).unwrap()
}

/// Types around a cluster at `at` of width `sigma`, a few per σ, and the
/// rest of [−1, 1] coarsely.
fn around(at: f64, sigma: f64) -> Vec<f64> {
    let mut t: Vec<f64> = (0..=2000).map(|k| -1.0 + 2.0 * k as f64 / 2000.0).collect();
    t.extend((-400..=400).map(|k| at + sigma * k as f64 / 40.0));
    t.retain(|z| (-1.0..=1.0).contains(z));
    t.sort_by(f64::total_cmp);
    t
}

/// Wherever the cluster sits above the binding interval, the upper type
/// dips just below it and must be ironed: at each of 125 positions from
/// 0.52 to 0.98 there is a pool around the cluster and `V` is monotone
/// across it (a scan of 4 000 types plus 20 per σ around the cluster).
#[test]
fn a_narrow_cluster_is_ironed_wherever_it_sits() {
    for i in 0..125 {
        let at = 0.52 + 0.46 * i as f64 / 124.0;
        let mech = OptimalMechanism::solve(&clustered(at, 0.0002), 1.0).unwrap();
        let pools = mech.class(0).virtual_value().ironed_intervals();
        assert!(
            pools.iter().any(|&(a, b)| a < at && at < b),
            "cluster at {at}: no pool around it ({pools:?})"
        );
        assert_monotone_at(&mech, 0, &around(at, 0.0002));
    }
}

/// A cluster as narrow as 1e-6 of the support, at positions spread over
/// the upper half, is ironed too, and the ironed `V` agrees with the oracle
/// on cells that resolve the cluster.
#[test]
fn a_cluster_a_millionth_of_the_support_wide_is_ironed() {
    let sigma = 2e-6;
    for i in 0..9 {
        let at = 0.55 + 0.4 * i as f64 / 8.0 + 1e-7 * i as f64;
        let mech = OptimalMechanism::solve(&clustered(at, sigma), 1.0).unwrap();
        let pools = mech.class(0).virtual_value().ironed_intervals();
        assert!(
            pools.iter().any(|&(a, b)| a < at && at < b),
            "cluster at {at}: no pool around it ({pools:?})"
        );
        assert_monotone_at(&mech, 0, &around(at, sigma));
        if i % 4 == 0 {
            let mut edges: Vec<f64> = (0..=64000)
                .map(|k| -1.0 + 2.0 * k as f64 / 64000.0)
                .collect();
            edges.extend((-800..=800).map(|k| at + sigma * k as f64 / 80.0));
            edges.sort_by(f64::total_cmp);
            edges.dedup();
            let gap = oracle_gap_on(&mech, 0, &edges);
            assert!(gap < 1e-7, "cluster at {at}: oracle gap {gap:e}");
        }
    }
}

/// The cluster market's mechanism with the interim allocation of the
/// *un-ironed* clamp `median(H, η, L)`: `x̄(z) = −(1 − w)(V(z) − η)` with
/// `w = κ/K = 1/3`, everything else delegated.
struct RawClamp(OptimalMechanism);

impl exchange_design::mechanism::DirectMechanism for RawClamp {
    fn market(&self) -> &Market {
        self.0.market()
    }
    fn revenue(&self) -> f64 {
        self.0.revenue()
    }
    fn efficiency(&self) -> f64 {
        self.0.efficiency()
    }
    fn interim_allocation(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        let c = self.0.class(class);
        let v = c.virtual_value();
        let clamp = v.lower(z).min(v.upper(z).max(c.virtual_value().eta()));
        Ok(-(2.0 / 3.0) * (clamp - c.virtual_value().eta()))
    }
    fn interim_second_moment(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        self.0.interim_second_moment(class, z)
    }
    fn interim_transfer(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        self.0.interim_transfer(class, z)
    }
    fn utility_gain(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        self.0.utility_gain(class, z)
    }
}

/// Lemma 1's check looks where the density has features: it passes the
/// ironed mechanism of the cluster market (the cluster at 0.705 falls
/// between two points of its even grid) and catches the un-ironed clamp,
/// whose allocation rises across the cluster.
#[test]
fn the_feasibility_check_sees_a_narrow_cluster() {
    let mech = OptimalMechanism::solve(&clustered(0.705, 0.0002), 1.0).unwrap();
    check_feasibility(&mech).unwrap();
    let violation = check_feasibility(&RawClamp(mech)).unwrap_err();
    match violation {
        exchange_design::mechanism::FeasibilityViolation::AllocationIncreasing {
            z_low,
            z_high,
            ..
        } => assert!(z_low > 0.69 && z_high < 0.72, "{z_low} {z_high}"),
        other => panic!("expected a rising allocation, got {other}"),
    }
}

/// Two populations with nobody between them: a mixture of disjoint uniforms
/// (a gap in the support) and a table that is zero on an inner stretch.
/// Each solves at every weight with a monotone `V`, passes Lemma 1, and
/// agrees (to 1e-6) with the same market whose gap holds a density of 1e-9
/// of the rest (a stretch of almost no probability, resolved a different way: by
/// the direct increments of the curve rather than as a jump of `F⁻¹`).
#[test]
fn a_support_with_a_gap_is_pooled_across_it() {
    use exchange_design::distribution::{Mixture, Uniform};
    let gap = Mixture::from_components(vec![
        (1.0, Uniform::new(-1.0, -0.2).unwrap()),
        (2.0, Uniform::new(0.3, 1.0).unwrap()),
    ])
    .unwrap();
    let table = |inside: f64| {
        PiecewiseLinear::new(
            vec![-1.0, -0.4, -0.3, 0.2, 0.3, 1.0],
            vec![1.0, 1.0, inside, inside, 1.5, 1.0],
        )
        .unwrap()
    };
    let near = |a: f64, b: f64| (a - b).abs() < 1e-6 * (1.0 + a.abs());
    for alpha in [0.0, 0.4, 1.0] {
        let mech = OptimalMechanism::solve(
            &Market::new(vec![
                TraderClass::new(1.0, gap.clone(), 2),
                TraderClass::new(0.7, Uniform::new(-1.0, 1.0).unwrap(), 1),
            ])
            .unwrap(),
            alpha,
        )
        .unwrap();
        assert_monotone(&mech);
        check_feasibility(&mech).unwrap();
        let exact = OptimalMechanism::solve(
            &Market::new(vec![TraderClass::new(1.0, table(0.0), 3)]).unwrap(),
            alpha,
        )
        .unwrap();
        let almost = OptimalMechanism::solve(
            &Market::new(vec![TraderClass::new(1.0, table(1e-9), 3)]).unwrap(),
            alpha,
        )
        .unwrap();
        assert_monotone(&exact);
        check_feasibility(&exact).unwrap();
        // At α = 0 only efficiency counts: the almost-gap market balances its
        // budget at a weight near 1e-9, while for the exact gap the limit
        // β → 0⁺ already raises revenue (the gap's types cost no efficiency),
        // so its budget does not bind. Both are efficient.
        let revenue_agrees = alpha == 0.0 || near(exact.revenue(), almost.revenue());
        assert!(exact.revenue() >= -1e-12 && almost.revenue() >= -1e-12);
        assert!(
            revenue_agrees && near(exact.efficiency(), almost.efficiency()),
            "alpha = {alpha}: gap {} {} against almost-gap {} {}",
            exact.revenue(),
            exact.efficiency(),
            almost.revenue(),
            almost.efficiency()
        );
    }
}

/// A market of the random search where the lower type jumps across the
/// level at a point where a Beta component's support ends: the binding
/// interval must start exactly there (a root stopping a few ulps past the
/// jump left types between with the wrong side's value, which Lemma 1's
/// check, probing the density's kinks, caught).
#[test]
fn a_level_crossed_at_a_jump_of_the_density_starts_the_interval_there() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.9625044106196403,"traders":[{"kappa":1.903078925156402,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.811573104889012,"distribution":{"family":"uniform","lo":-0.8419820705674739,"hi":0.10568442076007623}},{"weight":0.05693272153614309,"distribution":{"family":"truncated_normal","mu":-0.2497523030546694,"sigma":0.42632231887775973,"lo":-0.5566389965551487,"hi":0.2860388973513138}},{"weight":0.9503985012733034,"distribution":{"family":"beta","a":1.523323374689695,"b":1.0,"lo":-0.590709266733208,"hi":0.06834158988147054}}]}},{"kappa":1.4952102528970197,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.3881045769411114,"distribution":{"family":"truncated_normal","mu":1.6471163460060965,"sigma":0.04785982976755483,"lo":-0.36193497344906134,"hi":1.8996831401196965}},{"weight":0.049731389733110365,"distribution":{"family":"uniform","lo":-0.41806972391773267,"hi":1.9070646813284775}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let kink = 0.06834158988147054;
    assert_eq!(mech.class(0).virtual_value().binding_interval().0, kink);
    check_feasibility(&mech).unwrap();
}

/// A market of the random search where a narrow component's support ends
/// far in the tails of the others, so the density there is about 1e-21 and
/// jumps down by most of itself: the upper type jumps down with it. The
/// jump is found against what the density's slope allows over one ulp (an
/// absolute threshold missed it), and Lemma 1 holds.
#[test]
fn a_jump_of_a_tiny_density_is_ironed() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.7127841489477752,"traders":[{"kappa":0.36903903381681924,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.4513740855428213,"distribution":{"family":"truncated_normal","mu":0.5673915158115153,"sigma":0.10794160974281143,"lo":0.42784348539639905,"hi":0.6200458904132218}},{"weight":0.07043003442731083,"distribution":{"family":"truncated_normal","mu":0.5994328841517984,"sigma":0.004914369429569216,"lo":0.591567558753058,"hi":0.6485102272547186}},{"weight":0.4279450857700365,"distribution":{"family":"truncated_normal","mu":0.4627516069368773,"sigma":0.014592609196669536,"lo":0.44969026187764183,"hi":0.6904235056795615}},{"weight":0.6031947363661128,"distribution":{"family":"truncated_normal","mu":0.39421205601393877,"sigma":0.0006065029192692219,"lo":0.3070504348743314,"hi":0.42784348539639905}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

/// Market 15 of `ironing_search ordinary 300 2`, cut to its first class's
/// inner mixture: a narrow normal component on [−0.974, −0.932] beside the
/// far tail (30 to 56 σ) of another. Below −0.974 the density is 1e-196
/// and less, down to exact underflow; at −0.974 it jumps up, so the lower
/// type `L = z + β F/f` falls there by the tail's `F/f` (1.7e-4). The hull
/// compared slopes by a cross product of a probability near 1e-200 with one
/// near 1e-7, which underflowed and dropped the vertex, so the types just
/// below the jump kept the raw `L` and the interim allocation rose (Lemma
/// 1). The stretch is now a gap (it holds less than 1e-150 of the
/// probability), pooled with the types above it.
#[test]
fn a_jump_up_from_an_underflowing_tail_is_ironed() {
    let json = |alpha: f64| {
        format!(
            r#"{{"alpha":{alpha},"traders":[{{"kappa":0.4621913340400566,"count":3,"distribution":{{"family":"mixture","components":[
            {{"weight":0.7759551062149073,"distribution":{{"family":"truncated_normal","mu":-0.8202263436243324,"sigma":0.005099295998506366,"lo":-1.1062503550422633,"hi":-0.7195018797778453}}}},
            {{"weight":0.735233736832057,"distribution":{{"family":"truncated_normal","mu":-0.9422916466212796,"sigma":0.008710920760650945,"lo":-0.9738171343255594,"hi":-0.9316077388735042}}}}]}}}},
            {{"kappa":1.0,"count":2,"distribution":{{"family":"uniform","lo":-1.2,"hi":-0.3}}}}]}}"#
        )
    };
    let jump = -0.9738171343255594_f64;
    let types: Vec<f64> = (0..=400)
        .map(|k| jump - 2e-4 + 4e-4 * k as f64 / 400.0)
        .chain([jump.next_down(), jump, jump.next_up()])
        .collect();
    let mut types = types;
    types.sort_by(f64::total_cmp);
    for alpha in [0.5, 1.0] {
        let (market, alpha) = spec_market(&json(alpha));
        let mech = OptimalMechanism::solve(&market, alpha).unwrap();
        check_feasibility(&mech).unwrap();
        assert_monotone(&mech);
        assert_monotone_at(&mech, 0, &types);
        assert!(mech.status().ironing_bound < 1e-8);
    }
}

/// Market 18 of `ironing_search ordinary 100 1`: a class whose normal
/// component (σ = 0.0024) ends 69 σ above its mean, where a triangular
/// component begins, so between them the density falls through every
/// power of ten to underflow. How much of that stretch the upper type
/// pools moves with `ln β` (it is where `f ≈ β`), and so does the revenue:
/// at α = 0 the budget breaks even near β = 1e-180. The budget search's
/// bisection in `ln β` took the geometric mean as `√(dl · dh)`, which
/// underflowed to 0 for 1e-300 · 1e-152 and retried `β = α`; the search
/// crept and gave up ("no weight breaks even"). Fresh solves either side
/// of the weight it finds bracket the break-even, and the budget balances.
#[test]
fn a_break_even_weight_near_1e_minus_180_is_found() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.0,"traders":[{"kappa":4.071649916771137,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.019347664872448073,"distribution":{"family":"piecewise_linear","z":[0.41173366677516676,0.46682183163331464,0.49712362250736025],"density":[1.8454771865204895,1.6541455893384134,1.3913873966748331]}},{"weight":0.004377904044586768,"distribution":{"family":"mixture","components":[{"weight":0.27189758148773735,"distribution":{"family":"triangular","lo":0.38849227111522994,"mode":0.48612049075557523,"hi":0.5482988953424136}},{"weight":0.6269154499994867,"distribution":{"family":"truncated_normal","mu":0.36429494657139955,"sigma":0.059410190921981236,"lo":0.31919097615925307,"hi":0.38849227111522994}},{"weight":0.9109548554634845,"distribution":{"family":"uniform","lo":0.5482988953424136,"hi":0.579641302596926}},{"weight":0.9118228211277921,"distribution":{"family":"truncated_normal","mu":0.5273117508705392,"sigma":0.010899563215555685,"lo":0.4753615097354016,"hi":0.5436973908455818}}]}},{"weight":0.4013256876923357,"distribution":{"family":"truncated_normal","mu":0.546949691213862,"sigma":0.03426800844439917,"lo":0.44432365056896955,"hi":0.6239858153969884}}]}},
        {"kappa":0.6524890683349731,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.26601928265806746,"distribution":{"family":"triangular","lo":-0.12199854968754587,"mode":0.11372382606720244,"hi":0.6549373407371735}},{"weight":0.9047470971131975,"distribution":{"family":"truncated_normal","mu":-0.2844980261792346,"sigma":0.002370560282937652,"lo":-0.5603393708541737,"hi":-0.12199854968754587}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert!(mech.budget_binding());
    assert!(mech.revenue().abs() < 1e-11, "{}", mech.revenue());
    let beta = mech.beta();
    assert!(beta > 1e-190 && beta < 1e-170, "{beta:e}");
    let at = |b: f64| {
        OptimalMechanism::solve_unconstrained(&market, b, &Default::default())
            .unwrap()
            .revenue()
    };
    assert!(at(beta / 1e3) < 0.0 && at(beta * 1e3) > 0.0);
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

/// Market 105 of `ironing_search ordinary 20000 7`: a class whose normal
/// component (σ = 0.0019) has its far lower tail, under 1e-150 of the
/// probability, at the support's lower end. Taking that tail for a gap in
/// the lower type (whose `F/f` stays moderate there) gave a pool the
/// welfare moments could not integrate: a revenue of −2e68 at β ≥ 0.5. The
/// lower type keeps such a tail raw; the market solves, passes Lemma 1 and
/// runs no deficit.
#[test]
fn a_far_tail_at_the_lower_end_is_not_a_gap_of_the_lower_type() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.41856651563604075,"traders":[{"kappa":0.2365118359185593,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.010618887468567111,"distribution":{"family":"piecewise_linear","z":[-0.45963877804453696,-0.4548231747822509,-0.426503938034393,-0.4073350389435011,-0.389889697138768,-0.38674805976610194,-0.37087027875999296,-0.3521684609850707,-0.3355852637082787,-0.3173952360415736,-0.2914870266517231],"density":[0.0,1.4507455178143442,1.5945488397237666,0.03491220334845858,0.7582982620475597,0.16667398346331255,1.7469910180791748,0.3592890092657177,0.021443881004283714,1.0327677795210166,1.3660466202208699]}},{"weight":0.33741031641701535,"distribution":{"family":"triangular","lo":-0.33730490752593384,"mode":-0.33730490752593384,"hi":-0.14456173859570076}},{"weight":0.6805908268537373,"distribution":{"family":"truncated_normal","mu":-0.16341707923704385,"sigma":0.00041465011425329386,"lo":-0.17039949150293882,"hi":-0.12297015221460109}}]}},{"kappa":3.149864407822393,"count":4,"distribution":{"family":"piecewise_linear","z":[-0.6650738462454195,-0.36622565641312727,0.6230017110077575],"density":[0.5598299636194006,0.6316580631088771,0.1280717988603475]}},{"kappa":0.2689530134226961,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.73271231083167,"distribution":{"family":"mixture","components":[{"weight":0.43781567083767936,"distribution":{"family":"uniform","lo":-0.4930421953877188,"hi":-0.4463662329571158}},{"weight":0.23039830006873485,"distribution":{"family":"truncated_normal","mu":-0.5269464880917598,"sigma":0.0011351186904402378,"lo":-0.5243224070552879,"hi":-0.48071171110300903}}]}},{"weight":0.9898818919295187,"distribution":{"family":"truncated_normal","mu":-0.4714625285144879,"sigma":0.0018556046172239922,"lo":-0.5262027919430953,"hi":-0.20518582441730687}},{"weight":0.032787987803200545,"distribution":{"family":"piecewise_linear","z":[-0.3540076887643874,-0.32853178669033584,-0.3253407385275526,-0.3196447172158629,-0.3151114877856759,-0.2789908436557261,-0.2755979130380256,-0.2511533190847325,-0.24687365109011095,-0.23975929333725235,-0.20905768586745155,-0.18765325015057666],"density":[0.040875611777888836,0.03668470927160331,1.579182997975228,0.0023831276783190035,1.8195802101599523,1.9705833287714651,1.4088159025106206,1.443239915082473,0.7047316344241712,0.43150123865882895,0.00432253164828553,1.333727449549281]}},{"weight":0.8724835479624493,"distribution":{"family":"uniform","lo":-0.3319439856496303,"hi":-0.18766929343269673}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert!(mech.revenue().is_finite() && mech.revenue() >= -1e-12);
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    let at_one = OptimalMechanism::solve(&market, 1.0).unwrap();
    assert!(at_one.revenue() >= mech.revenue() - 1e-12 && at_one.revenue() < 10.0);
    check_feasibility(&at_one).unwrap();
}

/// Market 158 of `ironing_search ordinary 20000 11`: a class whose tightest
/// normal component (σ = 0.0032) has its far upper tail at the support's
/// upper end, where the probability left falls below the smallest normal
/// double near z = 0.925 and underflows beyond. The hull compared the
/// slopes over those cells, masses of 1e-320 known to three or four digits,
/// and took their rounding for vertices: the upper type's tail was cut
/// into tiny pools with raw stretches between, and the interim allocation
/// rose near z = 0.9265 (Lemma 1). Slopes equal within the resolution of
/// their increments are one edge, so the tail is pooled with the types
/// below it; the interim allocation is monotone on a fine grid across the
/// tail and `V` agrees with the grid oracle.
#[test]
fn an_underflowing_tail_at_the_upper_end_is_not_cut_into_pools() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.6990776158764742,"traders":[{"kappa":2.0437165540443334,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.7078547510075099,"distribution":{"family":"truncated_normal","mu":0.6803203771118004,"sigma":0.013081801871561815,"lo":0.4519469347567803,"hi":0.7881295563386093}},{"weight":0.22451588361741096,"distribution":{"family":"truncated_normal","mu":0.8035274246304296,"sigma":0.003200040263388861,"lo":0.7881295563386093,"hi":1.0351927705962973}},{"weight":0.20882649877987128,"distribution":{"family":"truncated_normal","mu":0.7443487754449306,"sigma":0.0022047483584494887,"lo":0.7623834345349553,"hi":0.9833083229152468}}]}},{"kappa":3.0473612659007325,"count":4,"distribution":{"family":"piecewise_linear","z":[0.5298608549125161,0.7042320533681499,0.7164842290120611,0.8227647021094131],"density":[1.0460380517020806,0.6626525566681947,1.353685528317981,0.13790461108834126]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    // Across the tail where the probability left underflows, densely (the
    // allocation rose between 0.92651 and 0.92653).
    let types: Vec<f64> = (0..=4000)
        .map(|k| 0.92 + 0.01 * k as f64 / 4000.0)
        .chain([0.9265105478901177, 0.926528347140479])
        .collect();
    let mut types = types;
    types.sort_by(f64::total_cmp);
    assert_monotone_at(&mech, 0, &types);
    assert!(mech.status().ironing_bound < 1e-8);
    // The oracle on cells with edges at the density's jumps (one of them
    // jumps to 800 where the third component begins, and a cell across it
    // would blur the pool's end), up to z = 0.82; above, one cell. There
    // the density is below 1e-6 and falling, and the oracle's
    // `(b − a) − ∫ F` per cell cancels to its rounding (`β ε / f` in `V`,
    // 3e-4 at z = 0.83 where the crate's `H` is `z − 2.7e-4`, as
    // `σ²/(z − μ)` of the normal tail gives).
    let d = mech.class(0).virtual_value().distribution();
    let (lo, hi) = d.support();
    let cut = 0.82;
    let mut edges: Vec<f64> = (0..16000)
        .map(|k| lo + (cut - lo) * k as f64 / 16000.0)
        .chain(d.kinks().iter().copied().filter(|&z| z > lo && z < cut))
        .chain([cut, hi])
        .collect();
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let gap = oracle_gap_on(&mech, 0, &edges);
    assert!(gap < 1e-7, "oracle gap {gap:e}");
}

/// Market 10185 of `ironing_search ordinary 20000 11`: class 3's normal
/// component (σ = 0.0019) has its lower tail 36 σ and more out at the
/// support's lower end, holding 1e-290 of the probability, and a table's
/// density jumps up out of it at z = −0.8511366. The lower type drops
/// there, and its pool must start in the tail below the jump, which the
/// hull can only see through vertices over masses near 1e-300. A first
/// version of the slope resolution for market 158 (`f64::MIN_POSITIVE`
/// over the mass) merged them, and the interim allocation rose just below
/// the jump (Lemma 1).
#[test]
fn a_jump_up_out_of_a_tail_of_1e_minus_290_is_still_ironed() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.5413285039019671,"traders":[{"kappa":1.4969549806656997,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.46808313249125577,"distribution":{"family":"triangular","lo":0.05823446064962268,"mode":0.3340297432597924,"hi":0.3340297432597924}},{"weight":0.30659514205899435,"distribution":{"family":"truncated_normal","mu":0.6113347874133844,"sigma":0.026241188294025285,"lo":-0.14759467728271652,"hi":0.8721874608962603}}]}},{"kappa":0.6323721502153693,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.07341524146743397,"distribution":{"family":"triangular","lo":-0.8380970716090193,"mode":-0.5468138740404427,"hi":-0.2773064344490336}},{"weight":0.002149224574201754,"distribution":{"family":"beta","a":1.0,"b":3.1722436229503987,"lo":-1.1741849295705757,"hi":-0.7446983118594277}},{"weight":0.7318279958299225,"distribution":{"family":"beta","a":2.6602285291924743,"b":1.0,"lo":-0.2773064344490336,"hi":-0.16869359398251327}}]}},{"kappa":0.21973651642572128,"count":2,"distribution":{"family":"piecewise_linear","z":[0.054647615522453896,0.769829311804248,1.282490615116807,1.412502028084163],"density":[0.4331040839320819,0.01270081927109899,0.9034261740236387,1.5862668009618255]}},{"kappa":0.5508743701026351,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.5833412230657866,"distribution":{"family":"piecewise_linear","z":[-0.8511365592303233,-0.8499021803032493,-0.8360472419350694,-0.8232878772731731,-0.8108555649091487,-0.7981906618183606,-0.7801000883838386,-0.7695665852797466,-0.7680660803876154,-0.7479808212773519,-0.7315342531987984],"density":[0.005906864128217332,1.059366846517915,0.07725419373941612,0.5497379870221972,1.903959421668661,1.2819541995118144,0.0034001066760777966,1.1681940890165785,1.864171644901368,0.7617357533299045,0.0]}},{"weight":0.30645264246465387,"distribution":{"family":"truncated_normal","mu":-0.7499089148455358,"sigma":0.0007137802013344373,"lo":-0.7537824944056034,"hi":-0.7391502235623243}},{"weight":0.03328588487553604,"distribution":{"family":"truncated_normal","mu":-0.7812691631222666,"sigma":0.0019240339435143646,"lo":-0.9216807661731005,"hi":-0.7567525231459618}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    let jump = -0.8511365592303233_f64;
    let mut types: Vec<f64> = (0..=4000)
        .map(|k| jump - 2e-4 + 4e-4 * k as f64 / 4000.0)
        .chain([jump.next_down(), jump, jump.next_up(), -0.8511478839836049])
        .collect();
    types.sort_by(f64::total_cmp);
    assert_monotone_at(&mech, 3, &types);
}

/// Market 18 of `ironing_search ordinary 20000 11`, cut to two of its
/// classes and two components of the first: a normal component
/// (σ = 0.099) whose lower tail, 14 σ out, is alone on [−0.283, −0.0696],
/// where a uniform component begins and the density jumps up from about
/// 2e-41. The upper type `H = z − β (1 − F)/f` jumps
/// there from about −5e40 β to −0.07 − 2 β, across every level `η` the
/// solve meets, so the binding interval ends at the jump. The root of
/// `H = η` stopped a dozen ulps below it, the types between kept the raw
/// `H` (`V` dipped to −1e38), and the revenue's moments over that sliver
/// were 1e22: at α = 0 the budget search saw revenue 3e23 and gave up
/// (and here, 34 of 200 weights from 1e-3 to 0.37 gave such a revenue,
/// with no error). The crossing is the jump; over a sweep of weights `V`
/// is monotone through it, and the revenue agrees with the one the
/// allocation alone implies (tensor quadrature of the envelope condition,
/// `min U = 0`). The whole market of the search balances its budget.
#[test]
fn a_binding_interval_ending_at_a_jump_up_out_of_a_far_tail_ends_there() {
    let json = |alpha: f64| {
        format!(
            r#"{{"alpha":{alpha},"traders":[{{"kappa":0.8722085025837091,"count":1,"distribution":{{"family":"mixture","components":[{{"weight":0.4535441823685489,"distribution":{{"family":"truncated_normal","mu":1.2844583088366086,"sigma":0.09867952909656595,"lo":-0.28266274907690114,"hi":1.7535483523921958}}}},{{"weight":0.8863238170662462,"distribution":{{"family":"uniform","lo":-0.06958862333842432,"hi":1.8407955599448056}}}}]}}}},
            {{"kappa":4.354550129391049,"count":1,"distribution":{{"family":"beta","a":17.589801672365684,"b":6.529691943814447,"lo":-1.7581457730444192,"hi":-0.05821331157581455}}}}]}}"#
        )
    };
    let jump = -0.06958862333842432_f64;
    let mut types: Vec<f64> = (0..=400)
        .map(|k| jump - 1e-12 + 2e-12 * k as f64 / 400.0)
        .chain([jump.next_down(), jump, jump.next_up()])
        .collect();
    types.sort_by(f64::total_cmp);
    let (market, _) = spec_market(&json(0.0));
    for k in 0..130 {
        let beta = 1e-3 * 1.03_f64.powi(k);
        let mech =
            OptimalMechanism::solve_unconstrained(&market, beta, &Default::default()).unwrap();
        // At the jump, or (above β ≈ 0.011, where `η` passes the upper
        // type just above the jump) clearly above it; never below it.
        let zb = mech.class(0).virtual_value().binding_interval().1;
        assert!(zb == jump || zb > jump + 1e-9, "beta = {beta}: {zb}");
        assert_monotone_at(&mech, 0, &types);
        assert!(
            mech.revenue().abs() < 1.0,
            "beta = {beta}: {}",
            mech.revenue()
        );
        if k % 43 == 0 {
            let (r_e, _) = common::reference::Tensor::new(&mech, 16, 10).revenue_from_envelope();
            assert!(
                (r_e - mech.revenue()).abs() < 1e-7,
                "beta = {beta}: {r_e} vs {}",
                mech.revenue()
            );
        }
    }
    // The market of the search: at α = 0 the budget binds and balances.
    let (market, alpha) = spec_market(
        r#"{"alpha":0.0,"traders":[{"kappa":0.8722085025837091,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.4535441823685489,"distribution":{"family":"truncated_normal","mu":1.2844583088366086,"sigma":0.09867952909656595,"lo":-0.28266274907690114,"hi":1.7535483523921958}},{"weight":0.8863238170662462,"distribution":{"family":"uniform","lo":-0.06958862333842432,"hi":1.8407955599448056}},{"weight":0.00588450106014969,"distribution":{"family":"truncated_normal","mu":2.022863797464744,"sigma":0.0012451826828580644,"lo":1.8407955599448056,"hi":2.0457503081798762}}]}},{"kappa":4.354550129391049,"count":4,"distribution":{"family":"beta","a":17.589801672365684,"b":6.529691943814447,"lo":-1.7581457730444192,"hi":-0.05821331157581455}},{"kappa":0.7809087661354842,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.8819680279703783,"distribution":{"family":"truncated_normal","mu":-0.7500745351471929,"sigma":0.512820809323856,"lo":-1.0894819341751019,"hi":-0.37280668691583363}},{"weight":0.31485490706727015,"distribution":{"family":"beta","a":5.2965486659341146,"b":18.12831608689847,"lo":-1.0091887892456246,"hi":-0.10673819446529365}},{"weight":0.3734553978779596,"distribution":{"family":"truncated_normal","mu":0.057751482119679454,"sigma":0.026417382630067085,"lo":-0.2719950188754846,"hi":0.2749883523676404}},{"weight":0.31823848487662626,"distribution":{"family":"triangular","lo":-0.49549446778258976,"mode":-0.48087600022999744,"hi":0.01120903029709619}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert!(mech.budget_binding());
    assert!(mech.revenue().abs() < 1e-9, "{}", mech.revenue());
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

/// Market 111 of `ironing_search ordinary 20000 11`, with its first class
/// replaced by a uniform one: a class whose Beta component's density
/// vanishes at −0.1373 (like `(1 − x)^12.7`) and, 35 σ above a narrow
/// normal component's mean, a stretch up to 0.1049 where the density falls
/// from 1e-15 through every power of ten to underflow, before another Beta
/// component (vanishing like `x^3`) begins. At α = 0 the budget binds.
///
/// Two faults showed here. The welfare moments integrated the weight-free
/// `∫ (1 − F)²/f` beside −0.1373, which runs to 1e110: the quadrature
/// spent its panels there without converging, and the variance of `V` it
/// returned was off by 6e-6 at β = 1e-305. And every cell of the stretch
/// holding less than 1e-150 of the probability counted as a gap, at any
/// weight: at β = 1e-305 the upper type was pooled from −0.016, although
/// it stays within 1e-80 of `z` wherever the density exceeds 1e-300, and
/// the information rent of the types above moved by 1e-3, so revenue
/// jumped from −1.2e-3 at β = 0 to +2.7e-3 at β = 0⁺ and fell again with
/// β: the budget search found no weight that breaks even.
///
/// Laws checked: at a weight of 1e-305 the efficiency is the first best's
/// (only types without probability may change); revenue does not decrease
/// as the weight on it grows; the weight found breaks even, and fresh
/// solves a thousandfold either side of it bracket zero.
#[test]
fn revenue_rises_continuously_from_zero_weight_beside_a_vanishing_density() {
    let (market, alpha) = spec_market(
        r#"{"alpha": 0.0, "traders": [{"kappa": 2.467246574947443, "count": 2, "distribution": {"family": "uniform", "lo": -1.2, "hi": 0.0}}, {"kappa": 1.1384273457284844, "count": 3, "distribution": {"family": "mixture", "components": [{"weight": 0.49050050434208825, "distribution": {"family": "beta", "a": 3.9915918356180766, "b": 1.1323332006493005, "lo": 0.1048808730574654, "hi": 0.2999541300257601}}, {"weight": 0.8635629451008027, "distribution": {"family": "truncated_normal", "mu": -0.16259007392832633, "sigma": 0.006435703535221798, "lo": -0.13730660500839387, "hi": 0.3991783778800043}}, {"weight": 0.9215656014404425, "distribution": {"family": "beta", "a": 3.2800531152989727, "b": 13.729613822603271, "lo": -0.5755979312332353, "hi": -0.13730660500839387}}]}}]}"#,
    );
    let at =
        |b: f64| OptimalMechanism::solve_unconstrained(&market, b, &Default::default()).unwrap();
    let first_best = at(0.0);
    let mut last = first_best.revenue();
    for beta in [1e-305, 1e-200, 1e-100] {
        let mech = at(beta);
        assert!(
            mech.revenue() >= last - 1e-12,
            "revenue falls to {} at beta = {beta:e} from {last}",
            mech.revenue()
        );
        last = mech.revenue();
        if beta == 1e-305 {
            let gap = (mech.efficiency() - first_best.efficiency()).abs();
            assert!(gap < 1e-12, "efficiency {gap:e} from the first best's");
        }
    }
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert!(mech.budget_binding());
    assert!(mech.revenue().abs() < 1e-12, "{}", mech.revenue());
    let beta = mech.beta();
    assert!(
        at(beta / 1e3).revenue() < 0.0 && at(beta * 1e3).revenue() > 0.0,
        "{beta:e}"
    );
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

/// Market 93 of `ironing_search ordinary 20000 11`: class 2's density jumps
/// at z = −0.5320327, where its lower type jumps across the level `η`.
/// The root of `L = η` stopped past the jump, and the interim allocation
/// rose from −0.663 to 0 between −0.5320 and −0.5301 (Lemma 1). The
/// crossing is the jump (as for market 18); the interim allocation falls
/// across it on a fine grid.
#[test]
fn a_level_crossed_at_a_jump_past_which_the_root_stopped_is_the_jump() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.9235246037486518,"traders":[{"kappa":4.64683440023148,"count":5,"distribution":{"family":"truncated_normal","mu":-0.6712133604366042,"sigma":0.045867118801600874,"lo":-0.8870290959728555,"hi":0.07719798615098744}},{"kappa":0.8165234484018493,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.4175151808334116,"distribution":{"family":"mixture","components":[{"weight":0.7651439027736603,"distribution":{"family":"triangular","lo":-1.543949151618499,"mode":-1.06735042213336,"hi":-0.8646741918276757}},{"weight":0.931087183790966,"distribution":{"family":"beta","a":12.015594268563396,"b":1.5739111252941258,"lo":-1.7119250684649212,"hi":-1.4018860708131353}}]}},{"weight":0.6458684869491684,"distribution":{"family":"truncated_normal","mu":1.439098971567378,"sigma":0.014949964402028693,"lo":0.2478356568376658,"hi":2.056526553649016}},{"weight":0.4526122725298225,"distribution":{"family":"truncated_normal","mu":0.20295300964863575,"sigma":0.35115112804768983,"lo":0.021399481944748167,"hi":1.5223751563774792}}]}},{"kappa":0.4255124200339143,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.12035848270110232,"distribution":{"family":"uniform","lo":-0.5320326970532443,"hi":0.2578550386298126}},{"weight":0.18801615760837204,"distribution":{"family":"truncated_normal","mu":-0.5221692398569024,"sigma":0.29612368163127123,"lo":-0.8325658097806106,"hi":-0.5320326970532443}}]}},{"kappa":0.44233678539476323,"count":5,"distribution":{"family":"uniform","lo":-1.728425931076193,"hi":1.211117889359678}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    let jump = -0.5320326970532443_f64;
    let mut types: Vec<f64> = (0..=2000)
        .map(|k| jump - 1e-3 + 4e-3 * k as f64 / 2000.0)
        .chain([jump.next_down(), jump, jump.next_up()])
        .collect();
    types.sort_by(f64::total_cmp);
    assert_monotone_at(&mech, 2, &types);
}

/// Market 10009 of `ironing_search ordinary 20000 11`: the utility gain of
/// class 0's lowest type disagreed with the one its transfer implies
/// (0.246 against 0), a binding interval misplaced at a jump of the
/// density (the fault of market 18). The lowest type's gain is checked
/// against the envelope condition: with `U` zero on the binding interval,
/// `U(lo) = (1/κ) ∫_lo^{Z_a} x̄`, the interim allocation integrated here by
/// Gauss–Legendre on 4 000 panels.
#[test]
fn the_lowest_type_gain_agrees_with_the_envelope_condition_after_a_jump() {
    let (market, alpha) = spec_market(
        r#"{"alpha":0.5045663807496585,"traders":[{"kappa":0.6792203865018072,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.23646460669139133,"distribution":{"family":"triangular","lo":-1.1151620726975562,"mode":-0.8598345811443311,"hi":-0.4776056627887947}},{"weight":0.858049544513265,"distribution":{"family":"mixture","components":[{"weight":0.9552410028017015,"distribution":{"family":"truncated_normal","mu":-0.904388870742241,"sigma":0.0002622951006661969,"lo":-0.9701645911797029,"hi":-0.8969782278373625}},{"weight":0.9991835255858141,"distribution":{"family":"truncated_normal","mu":-0.9339172502156915,"sigma":0.006639281469568364,"lo":-1.010403283522061,"hi":-0.9198468700397373}},{"weight":0.7619561119791265,"distribution":{"family":"truncated_normal","mu":-1.0274719222546336,"sigma":0.02905184273517222,"lo":-1.1220376529163636,"hi":-1.010403283522061}},{"weight":0.34293243800406037,"distribution":{"family":"truncated_normal","mu":-0.9408643519228079,"sigma":0.00028748651712337184,"lo":-0.9686788682296319,"hi":-0.8826927034470633}}]}},{"weight":0.0010411419714710763,"distribution":{"family":"triangular","lo":-1.0436169218016538,"mode":-0.7261804956412966,"hi":-0.7022734408811757}},{"weight":0.33236762898280214,"distribution":{"family":"beta","a":11.768682036836838,"b":2.4328422525276663,"lo":-0.4776056627887947,"hi":-0.1058471094788831}}]}},{"kappa":0.4038650814322536,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.2680976946736725,"distribution":{"family":"uniform","lo":0.6383214272282157,"hi":0.6961336459126266}},{"weight":0.7728658916500761,"distribution":{"family":"truncated_normal","mu":0.6478854541757556,"sigma":0.0004560295443077535,"lo":0.5812310412098727,"hi":0.6854138633099383}}]}}]}"#,
    );
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    for k in 0..mech.classes().len() {
        let c = mech.class(k);
        let d = c.virtual_value().distribution();
        let (lo, _) = d.support();
        let (za, _) = c.virtual_value().binding_interval();
        let mut cuts: Vec<f64> = (0..=4000)
            .map(|i| lo + (za - lo) * i as f64 / 4000.0)
            .chain(d.kinks().iter().copied())
            .chain(
                c.virtual_value()
                    .ironed_intervals()
                    .into_iter()
                    .flat_map(|(a, b)| [a, b]),
            )
            .filter(|&z| z > lo && z < za)
            .collect();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let envelope = gl(|s| mech.interim_allocation(k, s).unwrap(), lo, za, &cuts) / c.kappa();
        let gain = mech.utility_gain(k, lo).unwrap();
        assert!(
            (gain - envelope).abs() < 1e-8,
            "class {k}: U(lo) = {gain} against the envelope's {envelope}"
        );
    }
}

/// Revenue at weights from 0 up: it must not decrease as the weight on it
/// grows (the optimum at `β` maximises revenue plus `(1 − β)/β` times the
/// efficiency, so a larger `β` cannot earn less), and the solve at `α = 0`
/// must succeed with Lemma 1 holding.
fn revenue_does_not_fall_from_zero_weight(spec: &str, weights: &[f64]) -> Vec<f64> {
    let (market, alpha) = spec_market(spec);
    let at =
        |b: f64| OptimalMechanism::solve_unconstrained(&market, b, &Default::default()).unwrap();
    let revenues: Vec<f64> = weights.iter().map(|&b| at(b).revenue()).collect();
    for (w, r) in weights.windows(2).zip(revenues.windows(2)) {
        assert!(
            r[1] >= r[0] - 1e-12,
            "revenue falls from {} at beta = {:e} to {} at {:e}",
            r[0],
            w[0],
            r[1],
            w[1]
        );
    }
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    revenues
}

/// Market 10473 of `ironing_search ordinary 20000 31`: one class whose
/// density is exactly zero (in `f64`) on a stretch of 0.067 between a
/// triangle's end and a normal component 38 σ away, with a cell of 42
/// subnormal quanta of mass beside the zeros. The lower type must pool the
/// gap with the types above it at every positive weight (its raw type
/// there is `+∞`) and at `β = 0` as the limit `β → 0⁺`. The hull took the
/// rise over the gap for rounding, pooled the gap with the types below at
/// `β ≤ 1e-305` and with those above at `β ≥ 1e-304`: revenue jumped from
/// −4.79e-4 to +4.79e-4 and the budget search found no weight that breaks
/// even. Revenue is now the same from 0 to 1e-100 (the weights move types
/// without probability only).
#[test]
fn a_gap_beside_a_few_subnormal_quanta_pools_the_same_way_at_every_weight() {
    let weights = [0.0, 5e-324, 1e-310, 1e-305, 1e-304, 1e-300, 1e-100];
    let r = revenue_does_not_fall_from_zero_weight(SPEC_10473, &weights);
    for v in &r {
        assert!((v - r[0]).abs() <= 1e-12, "{r:?}");
    }
}

/// Market 2016 of `ironing_search ordinary 20000 61`: the third class holds
/// a normal component (σ = 0.0027) whose support starts 43 σ below its
/// mean, beside a uniform that ends there. Past about 38.6 σ the normal's
/// density underflows to exactly 0 in `f64`, so the stretch between the
/// uniform's end and that point is, for the crate, a gap. At `β = 0` the
/// lower type pools it with the types above it (the limit `β → 0⁺` for a
/// gap). At a positive weight the pool reaches on into the tail, to where
/// `β F/f` is of the order of the types, about `σ √(2 ln(1/β))` from the
/// mean: its end moves by about 0.4 σ from `β = 0` to `5e-324`, and
/// revenue by 6.5e-4, and it keeps rising with `ln β` (−0.0213 at
/// `5e-324`, −0.0139 at `1e-200`). That is the model, not a jump: in exact
/// arithmetic the pool would shrink to nothing only at `β ≈ e^{−925}`,
/// far below the smallest double, so on subnormal weights revenue stays
/// where the density underflows and `β = 0` is the gap's limit. (Traced
/// in the eleventh session; the budget search starts at `1e-300`.)
#[test]
fn a_tail_that_underflows_is_a_gap_at_zero_weight_and_a_pool_end_after() {
    let weights = [
        0.0, 5e-324, 1e-318, 1e-310, 1e-300, 1e-250, 1e-200, 1e-150, 1e-120,
    ];
    revenue_does_not_fall_from_zero_weight(SPEC_61_2016, &weights);
    let (market, _) = spec_market(SPEC_61_2016);
    let d = market.class(2).distribution();
    let (lo, hi) = d.support();
    let mut last_end = f64::NEG_INFINITY;
    for &beta in &weights {
        let mech =
            OptimalMechanism::solve_unconstrained(&market, beta, &Default::default()).unwrap();
        // The pool that starts where the uniform ends.
        let (a, b) = *mech
            .class(2)
            .virtual_value()
            .ironed_intervals()
            .iter()
            .find(|p| (p.0 - (-0.2254753097974967)).abs() < 1e-12)
            .expect("the stretch after the uniform is pooled");
        assert!(b > a && b < -0.108, "pool [{a}, {b}] at beta = {beta:e}");
        if beta == 0.0 {
            // Only the stretch without a normal density: it ends where the
            // density is still below the smallest normal double.
            assert!(d.pdf(b) < f64::MIN_POSITIVE, "f({b}) = {:e}", d.pdf(b));
        } else {
            // At the end the raw type meets the level from below:
            // β F(b)/f(b) = level − b, at most the width of the support.
            assert!(
                d.pdf(b) >= beta * d.cdf(b) / (hi - lo),
                "beta = {beta:e}: f({b}) = {:e}",
                d.pdf(b)
            );
        }
        // A larger weight pools further into the tail.
        assert!(b >= last_end, "end {b} at beta = {beta:e} below {last_end}");
        last_end = b;
    }
}

const SPEC_61_2016: &str = r#"{"alpha":0.0,"traders":[{"kappa":3.6363671347515676,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.10555419880310861,"distribution":{"family":"truncated_normal","mu":0.143676502658587,"sigma":0.003739989207415017,"lo":-0.1720348703758947,"hi":0.2584198407605478}},{"weight":0.6988457726196141,"distribution":{"family":"uniform","lo":-0.019446735235161765,"hi":0.7843967526488455}},{"weight":0.23200095803071,"distribution":{"family":"truncated_normal","mu":0.27071453136684426,"sigma":0.06586788165379888,"lo":-0.3586080292920381,"hi":0.37971990806681094}}]}},{"kappa":1.1032695835475135,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.2901027240761223,"distribution":{"family":"uniform","lo":-0.03507796886314285,"hi":0.27284095608907805}},{"weight":0.7507186502010061,"distribution":{"family":"truncated_normal","mu":0.14050074818562486,"sigma":0.0012618708742833022,"lo":-0.07799258114706953,"hi":0.14129771010490247}},{"weight":0.574555508503055,"distribution":{"family":"truncated_normal","mu":0.2070692959271721,"sigma":0.014338811352547692,"lo":-0.3725587654371006,"hi":0.29565713127605936}}]}},{"kappa":0.39903195241492867,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.5518225063519708,"distribution":{"family":"beta","a":3.4194221079489666,"b":1.9235190929408317,"lo":-0.42117890396037583,"hi":-0.2337254232393399}},{"weight":0.35749147462079256,"distribution":{"family":"uniform","lo":-0.27385837021877724,"hi":-0.2254753097974967}},{"weight":0.371916645728781,"distribution":{"family":"truncated_normal","mu":-0.10796938535079786,"sigma":0.0027144338064507964,"lo":-0.2254753097974967,"hi":-0.0017263980491981357}}]}}]}"#;

/// Market 2742 of `ironing_search harsh 3000 241`, its second class alone
/// (three traders near z = 1 859.37 on a support 0.0054 wide): a stretch
/// without probability from the end of a triangle at 1 859.3710581001071
/// to the start of a table at 1 859.371780072876, whose density is 0 there
/// and rises. At `β = 0` the lower type's hull put a pool across the gap
/// that ends one ulp into the table. That ulp holds about 3e-19 of
/// probability, below what the closed forms resolve, and every node of the
/// direct quadrature over it rounds onto the table's start, where the
/// density is 0: the pool's mean was 0/0, and the solve failed with "the
/// function is not finite". A pool whose mass neither can see is a gap and
/// keeps the level the hull gave it. At `β = 0` the gap's types take, in
/// `L̂`, the type where the probability resumes above them, and in `Ĥ` the
/// type where it ends below them (the limit `β → 0⁺`).
#[test]
fn a_pool_whose_mass_lies_within_an_ulp_of_a_zero_of_the_density_is_a_gap() {
    let (market, _) = spec_market(SPEC_241_2742);
    let (gap_start, gap_end) = (1859.3710581001071_f64, 1859.371780072876_f64);
    let mech = OptimalMechanism::solve_unconstrained(&market, 0.0, &Default::default()).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    let v = mech.class(0).virtual_value();
    let ulps = 2.0 * f64::EPSILON * gap_end;
    for z in [gap_start.next_up(), 0.5 * (gap_start + gap_end), gap_end] {
        assert!(
            (v.ironed_lower(z) - gap_end).abs() <= ulps,
            "L^({z}) = {}",
            v.ironed_lower(z)
        );
        assert!(
            (v.ironed_upper(z) - gap_start).abs() <= ulps,
            "H^({z}) = {}",
            v.ironed_upper(z)
        );
    }
    // And at every weight the budget search may try, and at α = 0.
    revenue_does_not_fall_from_zero_weight(SPEC_241_2742, &[0.0, 5e-324, 1e-300, 1e-100, 1e-10]);
}

const SPEC_241_2742: &str = r#"{"alpha": 0.0, "traders": [{"kappa": 0.4137585014185936, "count": 3, "distribution": {"family": "mixture", "components": [{"weight": 0.4012828660801689, "distribution": {"family": "piecewise_linear", "z": [1859.3682800424685, 1859.3682975082531, 1859.3683001865938, 1859.3683142202665, 1859.3683240982537, 1859.3683288303707, 1859.3683389260918, 1859.3683595628427, 1859.3683698395741, 1859.3683712669742, 1859.3683785913254, 1859.3683968636497, 1859.3684088205587, 1859.368411095025, 1859.368414175884, 1859.3684322412676, 1859.368454199682, 1859.3684630512578, 1859.368469705274, 1859.3684815019756, 1859.3684899340963, 1859.3684984426575, 1859.3685022708876, 1859.3685242138943, 1859.3685285082352, 1859.3685438704626, 1859.3685642476205, 1859.3685778395165, 1859.3685957615533, 1859.3686123334292, 1859.3686230287624, 1859.368640942281, 1859.3686617194614, 1859.368680050127, 1859.3686944602298, 1859.3687042060885, 1859.3687208135975, 1859.3687317432211, 1859.3687372546437, 1859.368747235958, 1859.368767893851, 1859.3687814003022, 1859.3687933409005, 1859.3687946981124, 1859.3688079970254, 1859.368825145141, 1859.3688345293156, 1859.368843676388, 1859.3688615820124, 1859.3688657270382, 1859.368884272564, 1859.3689033957828, 1859.3689046290494, 1859.3689093559774, 1859.3689168686424, 1859.3689223437195, 1859.3689427565898, 1859.3689642944146, 1859.3689723663435, 1859.3689893865778, 1859.3689964021937, 1859.3690052686318, 1859.3690091923954, 1859.3690265710266, 1859.369037348391, 1859.3690476082597, 1859.3690547142505, 1859.3690729018206, 1859.3690888940484, 1859.3690922313558, 1859.369105094091, 1859.36911518908, 1859.3691305668142, 1859.369138890746, 1859.3691500727632, 1859.3691614211496, 1859.3691725997828, 1859.3691931705075, 1859.369194372584, 1859.3692019084958, 1859.3692184822257, 1859.369234723498, 1859.3692539598758, 1859.36926398071, 1859.3692812486806, 1859.3692982068367, 1859.3693039258037, 1859.36932532341, 1859.3693457374327, 1859.3693513331693, 1859.3693681071645, 1859.3693870532122, 1859.3694024404483, 1859.369412751455, 1859.3694317841819, 1859.3694363158543, 1859.3694387712474, 1859.3694409997906, 1859.3694550101247, 1859.3694567816335, 1859.3694701838144, 1859.369473285638, 1859.3694821949678, 1859.3695012651685, 1859.3695040596936, 1859.3695118836506, 1859.3695132607963, 1859.3695196347974, 1859.3695306696386, 1859.3695351058284, 1859.3695543272488, 1859.36956065582, 1859.3695683904025, 1859.3695886281753, 1859.3696104352891], "density": [5.012817429525259e-07, 1.8115915554038284, 5.116429822371808e-06, 0.6642633751135496, 0.9591303005361835, 1.8272151552912868, 1.772354036941015e-08, 0.0016951543595759063, 2.2173110321616947e-05, 1.7464148944589835, 7.786651074738806e-06, 1.8244634002755769, 1.5077647658123687, 1.794240361252098, 1.9631899661957588, 1.2288221344329664, 0.9704515568801411, 1.1736864644607912, 0.06431259352911865, 0.014752748060835576, 0.010852239821188816, 8.698199716274623e-09, 6.638479909903075e-05, 0.02105216571258514, 1.5943964944689077, 0.6159212722716942, 1.6175271653002234, 1.4719130082192855e-05, 0.8026378927471605, 0.05297384008229554, 0.053654371857705434, 0.02580167215000279, 0.7389175593488735, 1.7226679702949072e-07, 1.2701779748344055, 0.5081513396537444, 1.8048765800387938, 0.9982112335998221, 1.2609824170634902, 1.4267485571813995e-07, 0.6813462593307775, 1.096698225371789e-08, 0.7978234937535371, 0.8222864909795902, 1.3671093161877896, 1.493309384027989, 0.19815912779267172, 2.5386391690689917e-09, 1.2030611688734179, 1.3251007532439734, 1.5360435468193364e-07, 0.8844041375404708, 0.7152859876659794, 0.7680481159648954, 0.022246086840459773, 0.9010710026117599, 1.9670145761356353e-06, 1.625086659466415, 2.8229077714558256e-05, 4.756898960507537e-07, 0.7882623657808357, 6.322264895551638e-07, 1.7122247961898023, 0.653202599928755, 0.00046695692415245035, 0.9921510760177481, 1.5937997664045884, 0.03072809102785905, 0.6470227826823737, 1.1609126181146172, 1.7761371793726473, 1.7857324997436954, 0.015430496038097851, 0.5225117866580683, 1.0121252800202758, 0.8669814526199597, 1.2594633828143058, 1.54795416057604e-06, 6.173082932661519e-09, 1.5285212763347407, 2.6732523360684614e-08, 1.9920702762402378, 1.036701677405931, 0.7680605065234221, 5.409275646918723e-06, 0.49857856046352567, 1.218938867325615, 0.0003353941991282348, 0.7213559691019932, 7.440621812575203e-05, 2.929924253756365e-07, 1.9737974133922045, 1.3989513601141597, 1.6922922493910322, 1.3790216940460724, 1.9501354079694842e-07, 1.114978091827047, 4.702682383787332e-07, 0.468846333886903, 1.838910377716705, 0.03424565237670564, 0.5079909186415881, 0.4223175845734855, 0.4874018406407841, 1.0677953508611608, 0.9566997234467285, 0.0006683087561156677, 0.16609614917611196, 1.7704928411590521, 1.1705756405440089, 1.0352017849258983, 1.9700794631221246, 1.7259667042924272, 8.921414299276207e-06, 0.0]}}, {"weight": 0.5739469284105684, "distribution": {"family": "mixture", "components": [{"weight": 0.9095281281611332, "distribution": {"family": "triangular", "lo": 1859.3696104352891, "mode": 1859.3701284482481, "hi": 1859.3702390412427}}, {"weight": 0.9224624857344996, "distribution": {"family": "triangular", "lo": 1859.3697165528058, "mode": 1859.370337523033, "hi": 1859.370487402231}}, {"weight": 0.5274617831006496, "distribution": {"family": "triangular", "lo": 1859.3694932966803, "mode": 1859.3697185556919, "hi": 1859.370749772332}}, {"weight": 0.00553974286838632, "distribution": {"family": "triangular", "lo": 1859.3691368238913, "mode": 1859.3691368238913, "hi": 1859.3710581001071}}]}}, {"weight": 0.28593207486807554, "distribution": {"family": "triangular", "lo": 1859.3683535301113, "mode": 1859.3683535301113, "hi": 1859.3685750703917}}, {"weight": 0.9865531375268035, "distribution": {"family": "piecewise_linear", "z": [1859.371780072876, 1859.3717901700031, 1859.3717939717835, 1859.3718315414105, 1859.371865164027, 1859.3718984602258, 1859.3719352860774, 1859.3719440407144, 1859.3719496924944, 1859.3719554176375, 1859.3719842677103, 1859.3720165770758, 1859.3720495848108, 1859.3720770021453, 1859.3721210434796, 1859.3721510373525, 1859.372196456342, 1859.3722073076551, 1859.372246873378, 1859.3722581145778, 1859.3722909462422, 1859.3723036140775, 1859.3723222016802, 1859.3723284212867, 1859.372349332375, 1859.3723562888736, 1859.372395939874, 1859.3724035087914, 1859.3724058628163, 1859.372414291266, 1859.3724582757054, 1859.3724779111237, 1859.3725125773185, 1859.3725531072514, 1859.3725571760413, 1859.3725614826028, 1859.3725936772955, 1859.3726387998754, 1859.3726418858162, 1859.3726655996184, 1859.3726853909895, 1859.372696252338, 1859.372716507774, 1859.3727626782004, 1859.3727969438419, 1859.3728251193727, 1859.3728592244167, 1859.3728695080322, 1859.372876668606, 1859.3728935713746, 1859.3729267392791, 1859.3729482930248, 1859.3729932410183, 1859.3730043690884, 1859.3730248528436, 1859.3730390561216, 1859.3730692062795, 1859.3730745169066, 1859.3731112814694, 1859.3731540783187, 1859.3731768326293, 1859.3732102048978, 1859.3732349750253, 1859.3732810144656, 1859.373296752544, 1859.3733356749103, 1859.3733484261647, 1859.3733560031444, 1859.3733587566746, 1859.3733620339806, 1859.3733836231233, 1859.373401215699, 1859.3734200712252, 1859.3734257550013, 1859.3734491094212, 1859.3734697048944, 1859.3735092207598, 1859.3735465237776, 1859.3735489227913, 1859.3735740041554, 1859.3735797505592, 1859.3736005337387, 1859.3736357902333, 1859.3736559061672, 1859.3736638043947, 1859.3737002608736], "density": [0.0, 0.46757341119878415, 3.734061826734182e-06, 0.5888949376354641, 1.0964578684558757, 1.855330369444807, 1.138201563353139e-07, 0.3539318381282004, 0.13806179693722512, 0.7565686773422179, 0.6785367670856968, 0.5644014014559202, 0.46968079023008036, 2.9026966824110115e-06, 1.7493941028621893, 0.0006184803238110924, 1.3354226127509958, 8.47774805830905e-05, 1.1378161387433834, 1.010985996595258, 0.9794117617043543, 1.940418401202428, 7.0074741684655705e-06, 1.2100466824526241, 0.9953146546351519, 1.4592162126952573, 1.885507389282086, 0.7924157006551427, 0.8342743057882569, 0.6551354107526071, 1.3140764399219826, 0.7634870763576469, 1.577362542368082, 1.0349802056359476, 1.1783314847596802, 1.8032126025422694, 0.5845302469444007, 0.7518522997399875, 0.0013966177900625635, 1.5372370862308495, 7.133608573726653e-05, 1.9988151065386428, 0.7278927829377622, 0.33459544776720945, 0.4180873482059155, 1.3198780883653303, 0.408142709289202, 1.6533343541576888, 0.8226653938835269, 0.33271562157910933, 0.8977563410983005, 0.057764906068598784, 1.525571552032983, 1.2720739575025914, 0.0032649760527530877, 1.8091069525737498, 1.8313754134338003, 0.8807610020571159, 1.8743529108592831, 1.1021319716917453, 1.3549394569607263, 1.5839949332381285, 0.3463419180594609, 1.2420475815993202, 1.752169037815546, 1.8671710885666608, 0.00028754670630581024, 1.2944496052163206, 1.3126915161167179, 0.38224038764393165, 1.6098023540241888, 1.7349855347321077, 1.1154069077373232, 0.3543739392730281, 1.3089330475965824, 3.558712072645753e-05, 0.6840666493748427, 4.91745063319838e-07, 0.7553539929594232, 1.1098697704625649, 5.874247162796468e-06, 0.8926821666348299, 1.092888878718829, 1.8647194164349443, 0.5652170181632352, 0.0]}}]}}]}"#;

/// Market 2130 of `ironing_search harsh 3000 251`, its second class alone:
/// a mixture whose first 31 type units, from a normal's tail 250 σ out to
/// just past the start of a Beta with `a = 68.6`, carry no probability in
/// `f64` (`F = f = 0`). The lower type is finite there (the ratio `F/f` of
/// the normal's tail, from its logarithms) and falls just after the Beta's
/// start, where the Beta's own ratio takes over. The curve's increment over
/// the stretch came out one subnormal quantum below 0, and the hull took it
/// as a fall: it dropped the stretch, whose raw type then went unpooled,
/// and the interim allocation rose by 5e-4 across the Beta's start. Across
/// a stretch without probability the lower type's curve can only rise (by
/// `β ∫ F`), so the stretch is pooled with the types above it, as a gap.
#[test]
fn a_leading_stretch_without_probability_is_pooled_whatever_the_rounding_of_its_curve() {
    let (market, alpha) = spec_market(SPEC_251_2130);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    let v = mech.class(0).virtual_value();
    let (lo, _) = v.distribution().support();
    let beta_start = -246.6631536921892_f64;
    // The pool starts at the support's end and covers the Beta's start;
    // below the binding interval `V = L̂`, one level across it.
    let first = v.ironed_intervals()[0];
    assert!(first.0 == lo && first.1 > beta_start, "{first:?}");
    let level = v.value(lo);
    for z in [lo, -262.0, beta_start.next_down(), beta_start, -246.663] {
        assert_eq!(v.value(z), level, "V({z})");
    }
}

const SPEC_251_2130: &str = r#"{"alpha": 0.4322872400903215, "traders": [{"kappa": 0.29372975487145164, "count": 4, "distribution": {"family": "mixture", "components": [{"weight": 0.1278920187193299, "distribution": {"family": "mixture", "components": [{"weight": 0.6971274509240175, "distribution": {"family": "beta", "a": 99.47666186896664, "b": 46.73968465003426, "lo": -180.94986014200978, "hi": -89.6416136604848}}, {"weight": 0.003125226010778762, "distribution": {"family": "beta", "a": 68.61726037955052, "b": 20.806724478485748, "lo": -246.6631536921892, "hi": -180.94986014200978}}]}}, {"weight": 0.01505779152520425, "distribution": {"family": "truncated_normal", "mu": -146.35904961168845, "sigma": 0.5205135697747877, "lo": -277.8803235821288, "hi": 40.337080796867326}}]}}]}"#;

/// Market 270 of `ironing_search ordinary 20000 23`: a normal's upper tail
/// (σ = 0.0014) falls from 1e-127 to exactly 0 inside one cell of the
/// mesh, followed by 0.05 of exact zeros before a uniform component. At
/// `β = 0` that cell counted as certified (the types are the identity where
/// there is probability), so the zeros inside it kept the raw type, while
/// at any positive weight they are pooled with the types above: revenue
/// jumped from −2.2e-4 at `β = 0` to 8.8e-3 at `β = 5e-324`, and the
/// budget search found no weight that breaks even.
#[test]
fn zeros_inside_a_cell_at_zero_weight_are_pooled_as_at_any_positive_weight() {
    let r =
        revenue_does_not_fall_from_zero_weight(SPEC_270, &[0.0, 5e-324, 1e-300, 1e-250, 1e-100]);
    // Positive at zero weight, so the budget does not bind at α = 0.
    assert!(r[0] > 0.0, "{r:?}");
}

const SPEC_10473: &str = r#"{"alpha":0.0,"traders":[{"kappa":0.3081941448838673,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.8394215085006365,"distribution":{"family":"mixture","components":[{"weight":0.9569093773447166,"distribution":{"family":"truncated_normal","mu":0.6016064110218433,"sigma":0.003021886376531074,"lo":0.598710975645395,"hi":0.6559528121793032}},{"weight":0.2886437829637384,"distribution":{"family":"beta","a":1.1825896074687363,"b":2.1595630740231453,"lo":0.5586094733397825,"hi":0.6483162060056237}},{"weight":0.6967031212796841,"distribution":{"family":"piecewise_linear","z":[0.625836416677618,0.6339758177652136,0.6485338240852838,0.6595232894635226,0.6618056297768481,0.6681430058060072,0.6710439021478537,0.6790779609696895,0.6875838545549016,0.69424244620264,0.704975830271534,0.7127047368399595,0.7153793553614051,0.7186362259847694],"density":[0.0,0.02899662735851235,0.014971935133753812,1.0235338684340909,1.8127301235095261,0.7490212981191448,0.010899219887011778,1.148079712200771,1.0812527031256,0.1710086973024814,0.0029655217899935507,0.11764552352984047,1.3883937978387118,0.003182848259961076]}},{"weight":0.05562821516993038,"distribution":{"family":"truncated_normal","mu":0.5525252713078601,"sigma":0.012626490659216234,"lo":0.4997219765814755,"hi":0.5586094733397825}}]}},{"weight":0.0041727206461987555,"distribution":{"family":"truncated_normal","mu":0.5744271996949475,"sigma":0.0019550543301619823,"lo":0.4322646719939423,"hi":0.8846051646722317}},{"weight":0.9240968915323076,"distribution":{"family":"truncated_normal","mu":0.549905689871157,"sigma":0.02503293982662762,"lo":0.5223881296315518,"hi":0.5496176573073922}},{"weight":0.05922983278487678,"distribution":{"family":"triangular","lo":0.34129288974289346,"mode":0.34129288974289346,"hi":0.4322646719939423}}]}}]}"#;

const SPEC_270: &str = r#"{"alpha":0.0,"traders":[{"kappa":0.554154017921101,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.7031916541392411,"distribution":{"family":"truncated_normal","mu":-0.6531119403382228,"sigma":0.05198406452795122,"lo":-0.8605722146118938,"hi":-0.48254586707754016}},{"weight":0.39849321359710504,"distribution":{"family":"truncated_normal","mu":-0.4475597311857371,"sigma":0.0001102438885089173,"lo":-0.48254586707754016,"hi":-0.4482923220928806}},{"weight":0.4375187094382197,"distribution":{"family":"truncated_normal","mu":-0.4829441039557154,"sigma":0.0014277906501408576,"lo":-0.5593535599441245,"hi":-0.1568552958811968}},{"weight":0.48477918512821455,"distribution":{"family":"beta","a":1.0,"b":1.0,"lo":-0.3442374184056666,"hi":-0.0455807107499564}}]}},{"kappa":0.23563599458115328,"count":2,"distribution":{"family":"piecewise_linear","z":[-1.077331121972866,-0.9839424447708798,-0.7536112723404039,-0.6205910610073269,-0.3470663314199398,-0.05415474506128648,-0.011512464743931972,0.12542959960816646,0.43384299502825496,0.5426203300772396],"density":[0.004177057271260045,0.4419094819620537,0.6137311869731068,0.0049029393447247655,0.026791083778796323,0.0022496769436273416,0.009211077685389769,1.567434285264153,0.0035142911662981086,1.0365818250307157]}},{"kappa":2.019061232426486,"count":5,"distribution":{"family":"triangular","lo":-0.3578220616466888,"mode":-0.19128170869291367,"hi":-0.08040389538742104}},{"kappa":2.4054038681248815,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.021312075235942776,"distribution":{"family":"truncated_normal","mu":0.21314926802247022,"sigma":0.005812911823719912,"lo":0.019988576830775096,"hi":0.4364517124007203}},{"weight":0.34222073049684687,"distribution":{"family":"mixture","components":[{"weight":0.23962335183155786,"distribution":{"family":"triangular","lo":-0.15546711775842728,"mode":-0.1127668076421458,"hi":-0.09804695278310613}},{"weight":0.6574676255648033,"distribution":{"family":"uniform","lo":-0.26840649175130893,"hi":-0.12149005572861077}}]}}]}}]}"#;

/// Market 10105 of `ironing_search ordinary 20000 41`: in class 2 a narrow
/// normal component ends at z = −1.2724767 where a Beta component (shape
/// a = 1.21) begins. The density jumps down there by 3 % (the normal's
/// part), so the upper type falls by about 6e-3 at that point, and the
/// Beta's density then rises with infinite slope (by 3 % of its size over
/// the first ulp). The allowance for what a continuous density changes
/// over one ulp was taken from that slope (and then from the first ulp on
/// the right), which hid the jump: the point kept the raw type, and the
/// interim allocation rose from −0.1146 just below it to −0.1093 at it
/// (Lemma 1). The allowance is now taken from the ulp on the left.
/// Checked: Lemma 1, and `V` and the interim allocation monotone across
/// the point on types down to one ulp from it.
#[test]
fn a_jump_where_a_component_begins_with_infinite_slope_is_seen() {
    let (market, alpha) = spec_market(SPEC_41_10105);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let types = types_around(-1.2724766647224028, 4e-3, 1);
    assert_monotone_at(&mech, 2, &types);
}

const SPEC_41_10105: &str = r#"{"alpha":0.2554045725737847,"traders":[{"kappa":1.1404234954226706,"count":2,"distribution":{"family":"beta","a":18.632468521080163,"b":19.17122902959156,"lo":-2.021839299576052,"hi":0.3034431764762735}},{"kappa":0.22189933847599858,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.15596123603561513,"distribution":{"family":"truncated_normal","mu":-0.981394381075936,"sigma":0.008558214624260357,"lo":-1.0103145720609397,"hi":-0.8560955758960407}},{"weight":0.6129986591426047,"distribution":{"family":"truncated_normal","mu":-1.0333170917872145,"sigma":0.0010723813825970774,"lo":-1.1186158640260653,"hi":-0.8985033112132762}}]}},{"kappa":1.1904426411133269,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.8064185292412529,"distribution":{"family":"triangular","lo":-1.5368385379004526,"mode":-1.3373598244808909,"hi":-0.9835782732031372}},{"weight":0.7901805067886731,"distribution":{"family":"mixture","components":[{"weight":0.9040025481628711,"distribution":{"family":"beta","a":1.2096180608741427,"b":1.883149041151561,"lo":-1.2724766647224028,"hi":-1.232004230594555}},{"weight":0.002931547529530416,"distribution":{"family":"truncated_normal","mu":-1.2765957297536543,"sigma":0.009147899201553114,"lo":-1.3325147487716622,"hi":-1.2724766647224028}},{"weight":0.8082169797412673,"distribution":{"family":"truncated_normal","mu":-1.2538773132390584,"sigma":0.0006767477202086641,"lo":-1.2705683350256327,"hi":-1.2279612480998352}}]}},{"weight":0.5898627052231253,"distribution":{"family":"mixture","components":[{"weight":0.35671406337973344,"distribution":{"family":"uniform","lo":-0.9835782732031372,"hi":-0.5853339227159816}},{"weight":0.45069287841735445,"distribution":{"family":"beta","a":11.907267034693897,"b":5.135276122837672,"lo":-0.7544981576731156,"hi":-0.3607432611623983}}]}},{"weight":0.36930489603641686,"distribution":{"family":"truncated_normal","mu":-0.9611143789289958,"sigma":0.005944868048100055,"lo":-1.2285750039893633,"hi":-0.9625378157554018}}]}}]}"#;

/// Market 427 of `ironing_search ordinary 20000 31`: in class 0 a normal
/// component (σ = 0.087) begins at z = −0.3408494 where the density has
/// been about 1e-96 (another normal's far tail) for 0.086 before. Below
/// the point the lower type is `z + β F/f`, about 1.2e-4 above `z`; at it
/// the density jumps up by 95 orders of magnitude and the lower type falls
/// to `z`. The cell before the point has a density bound of 1e-178 at its
/// other end, so its bound on the raw type's slope is 1e78, and the depth
/// of the curve below the hull line there lost all its digits (it came out
/// as 0): the cell was not split, the types just below the point kept their
/// raw type, and `V` fell by 8.4e-5 across the point. Checked: Lemma 1,
/// and `V` and the interim allocation monotone across the point.
#[test]
fn a_raw_type_above_the_next_level_before_a_jump_up_is_pooled() {
    let (market, alpha) = spec_market(SPEC_31_427);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let types = types_around(-0.3408493880967093, 4e-4, 1);
    assert_monotone_at(&mech, 0, &types);
}

const SPEC_31_427: &str = r#"{"alpha":0.2364533155882117,"traders":[{"kappa":0.36956165209509156,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.9047147081772364,"distribution":{"family":"mixture","components":[{"weight":0.7053555587389717,"distribution":{"family":"truncated_normal","mu":-0.10048457791082072,"sigma":0.011339838908358794,"lo":-0.42669381172553955,"hi":-0.11933018046186505}},{"weight":0.5460495176293871,"distribution":{"family":"truncated_normal","mu":-0.2251968854763308,"sigma":0.08706047575377711,"lo":-0.3408493880967093,"hi":-0.1083467039830894}}]}},{"weight":0.851165007779968,"distribution":{"family":"truncated_normal","mu":-0.02896902404650814,"sigma":0.0035504095181164708,"lo":-0.5571122937924728,"hi":0.3971397655952079}},{"weight":0.3409736365295507,"distribution":{"family":"truncated_normal","mu":0.25686151023268583,"sigma":0.020205415679152815,"lo":0.13075669318980926,"hi":0.47497740669628963}}]}}]}"#;

/// Market 414 of `ironing_search ordinary 20000 31`, at α = 0: class 3 is a
/// normal (σ = 0.012) whose density underflows to 0 from 37 σ above its
/// mean up to its support's end 60 σ out. There the lower type
/// `z + β F/f` is infinite at every positive weight a double can hold, so
/// the binding interval jumps from the support's end at β = 0 to 37 σ
/// out at β = 5e-324, and revenue from −0.084 to +0.21: the weight that
/// breaks even lies below the smallest positive double. The search used
/// to give up ("no weight breaks even"). The mechanism at its smallest
/// step is the answer: checked, it balances the budget (revenue ≥ 0, the
/// surplus reported in the status), it is feasible (Lemma 1), and its
/// efficiency equals the unconstrained optimum's at α = 0 (an upper bound
/// for any budget-balanced mechanism) to 1e-12.
#[test]
fn a_break_even_weight_below_the_smallest_double_returns_the_smallest_step() {
    let (market, alpha) = spec_market(SPEC_31_414);
    let free = OptimalMechanism::solve_unconstrained(&market, alpha, &Default::default()).unwrap();
    assert!(free.revenue() < 0.0);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let surplus = mech.status().budget_surplus;
    assert!(
        surplus > 0.0 && (mech.revenue() - surplus).abs() <= 1e-12,
        "{surplus} {}",
        mech.revenue()
    );
    assert!(
        mech.beta() > 0.0 && mech.beta() <= 2e-300,
        "{:e}",
        mech.beta()
    );
    assert!(
        (mech.efficiency() - free.efficiency()).abs() <= 1e-12 * free.efficiency().abs(),
        "{} vs {}",
        mech.efficiency(),
        free.efficiency()
    );
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

const SPEC_31_414: &str = r#"{"alpha":0.0,"traders":[{"kappa":1.3224540417429569,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.48575635224303326,"distribution":{"family":"piecewise_linear","z":[-1.297353834260043,-0.9887479618473864,-0.294126450854858,0.3004892208820493,1.1071794689370975,1.2195902024232645,1.2773096581206098],"density":[0.021134535419765066,0.5163548288685644,1.807964980999436,1.9089685277287551,1.577031702655412,1.663735704935049,0.47080839367957916]}},{"weight":0.014989430563131649,"distribution":{"family":"uniform","lo":0.6469232304340582,"hi":2.013635542449139}},{"weight":0.01281275558712092,"distribution":{"family":"truncated_normal","mu":3.6582505042172793,"sigma":0.12266193485461217,"lo":2.013635542449139,"hi":4.443441599101177}}]}},{"kappa":0.30116476932507247,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.8119940592883335,"distribution":{"family":"uniform","lo":-0.27375670377939865,"hi":0.6789595799760294}},{"weight":0.6065780615478118,"distribution":{"family":"truncated_normal","mu":-0.280185327305689,"sigma":0.38059560455687763,"lo":-0.24826756588075838,"hi":0.5124071466716831}},{"weight":0.2678655270360159,"distribution":{"family":"beta","a":1.2888503770352393,"b":1.0,"lo":-1.146086864867887,"hi":-0.27375670377939865}},{"weight":0.510236047276249,"distribution":{"family":"truncated_normal","mu":-0.36642123412395644,"sigma":0.02066279872894591,"lo":-0.5988333494954453,"hi":0.3842933508252556}}]}},{"kappa":1.0907897555943735,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.8727156584792446,"distribution":{"family":"beta","a":7.545977748239734,"b":8.098844468159657,"lo":-0.6975488527203739,"hi":-0.07538934469512903}},{"weight":0.5822636294587911,"distribution":{"family":"triangular","lo":-1.2741577394160424,"mode":-0.4070428493175584,"hi":-0.4070428493175584}},{"weight":0.8630047843820139,"distribution":{"family":"truncated_normal","mu":-0.9613173674393858,"sigma":0.016662131035459386,"lo":-0.9800821137666575,"hi":-0.7792051957792727}},{"weight":0.8419429967810164,"distribution":{"family":"piecewise_linear","z":[-0.07538934469512903,-0.06319603145254409,-0.05487194866593907,-0.04457155175042579,-0.019988635756007983,-0.006823946830951458,0.016986584057691156,0.0476622725425023,0.060792554773814456,0.06337593592130703,0.074359106508259,0.0802507794770998,0.10616417329102218,0.12869841810956342],"density":[1.8402683400157847,0.9890463868407058,1.7151019823650102,0.3653205331693755,1.881868994134609,0.7063560416645032,0.5789485036559091,0.10223571446581274,0.5139008933499294,0.8921703694624605,0.9652180640840138,0.0160079521476256,1.104844278973286,1.346216598667836]}}]}},{"kappa":0.2479411944145446,"count":1,"distribution":{"family":"truncated_normal","mu":-0.8735783199747682,"sigma":0.012307865019394114,"lo":-1.353982266835539,"hi":-0.13450833657939776}}]}"#;

/// Market 964 of `ironing_search ordinary 20000 51`: in class 2 a Beta
/// component with shape a = 1.08 begins at z = 0.12168782 inside a
/// triangle. Its density is 0 at that point and rises like `x^0.08`, by
/// about 0.1 within one ulp, so in doubles the density jumps just after
/// the point, and the upper type with it, across the level `η`: the
/// binding interval ended one ulp before the point, the point kept its raw
/// type below `η`, and the interim allocation rose there from 0 to 0.0033
/// (Lemma 1). The crossing is now the point. Checked: Lemma 1, and `V` and
/// the interim allocation monotone over the ulps around the point.
#[test]
fn a_jump_one_ulp_after_a_kink_is_crossed_at_the_kink() {
    let (market, alpha) = spec_market(SPEC_51_964);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let types = types_around(0.1216878236880456, 2e-3, 4);
    assert_monotone_at(&mech, 2, &types);
}

const SPEC_51_964: &str = r#"{"alpha":0.9943855227395029,"traders":[{"kappa":1.0919638454644731,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.4528318859214543,"distribution":{"family":"mixture","components":[{"weight":0.7792461747161652,"distribution":{"family":"truncated_normal","mu":-0.944944562465993,"sigma":0.4213903585695406,"lo":-0.914779489650783,"hi":0.47566471194854065}},{"weight":0.49809145340745054,"distribution":{"family":"triangular","lo":-0.8176166994312052,"mode":-0.6503085662553205,"hi":-0.17522971845458013}},{"weight":0.10782765949797968,"distribution":{"family":"uniform","lo":0.47566471194854065,"hi":1.091463144128672}}]}},{"weight":0.663098351686088,"distribution":{"family":"truncated_normal","mu":0.4709946637303104,"sigma":0.2160598952588569,"lo":-0.8521635944987156,"hi":0.6590756739752615}},{"weight":0.9223528188006009,"distribution":{"family":"mixture","components":[{"weight":0.9530958139692498,"distribution":{"family":"uniform","lo":-0.912025458721277,"hi":0.08697386601283419}},{"weight":0.16545242188206613,"distribution":{"family":"beta","a":1.3651903106303527,"b":3.9644114727481163,"lo":-0.2075459824008935,"hi":0.14878312547490918}},{"weight":0.813300640062183,"distribution":{"family":"beta","a":1.0,"b":19.220524150553544,"lo":-0.7042456998709659,"hi":-0.3156396187244417}}]}}]}},{"kappa":0.8081183511236517,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.9291834594753872,"distribution":{"family":"mixture","components":[{"weight":0.4127528573462733,"distribution":{"family":"truncated_normal","mu":-0.7414292585774813,"sigma":0.00012282279648480083,"lo":-0.7418694588158931,"hi":-0.7112639178892012}},{"weight":0.3927190332075252,"distribution":{"family":"truncated_normal","mu":-0.7638725446044546,"sigma":0.0002615475485560895,"lo":-0.7886012573088198,"hi":-0.7418694588158931}},{"weight":0.8342141184516003,"distribution":{"family":"beta","a":1.9795457381457413,"b":1.1197709554761415,"lo":-0.7736534729479173,"hi":-0.7475818239837891}},{"weight":0.7754612878707523,"distribution":{"family":"truncated_normal","mu":-0.7915698833845805,"sigma":0.00022638728292419442,"lo":-0.8332124122121015,"hi":-0.7886012573088198}}]}},{"weight":0.46434565717288595,"distribution":{"family":"mixture","components":[{"weight":0.5505877665720003,"distribution":{"family":"uniform","lo":-0.8065453695016639,"hi":-0.6724799362416289}},{"weight":0.46453953931136954,"distribution":{"family":"piecewise_linear","z":[-0.891766036045128,-0.884948810509044,-0.8772913068429962,-0.872367416271163,-0.8657412759343184,-0.8565093520748883,-0.8490935011322738,-0.8419490339441107,-0.8334792634239602,-0.8323456552550957,-0.8311465769045968,-0.825113308742666,-0.8195771891149384,-0.8147119125585897,-0.8065453695016639],"density":[0.051301687246304406,0.020780468260879727,0.6058874558919773,0.006886418305815667,0.06965931738835075,1.69702211250678,0.009702227041997939,1.8586738190977674,1.586723662511369,0.790661771665198,1.931266278129,1.1814039412155908,1.1815747676508688,0.01076064307616043,0.8195765161468598]}},{"weight":0.6014687100533598,"distribution":{"family":"uniform","lo":-0.9260163281040665,"hi":-0.7990659358534375}},{"weight":0.6485177057871698,"distribution":{"family":"uniform","lo":-0.8480175140707913,"hi":-0.8374128702642216}}]}},{"weight":0.7829532553540453,"distribution":{"family":"triangular","lo":-0.8061948760938874,"mode":-0.8061948760938874,"hi":-0.7095540245410118}},{"weight":0.7936461155155181,"distribution":{"family":"beta","a":13.11595392984841,"b":2.4396553945254027,"lo":-0.715578427871672,"hi":-0.6933204740033705}}]}},{"kappa":0.4760735327815513,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.6646120612772608,"distribution":{"family":"beta","a":1.0775721633930373,"b":1.0,"lo":0.1216878236880456,"hi":0.4503097917260235}},{"weight":0.4207732198698535,"distribution":{"family":"triangular","lo":0.09537374759273938,"mode":0.1607393964148976,"hi":0.1607393964148976}}]}}]}"#;

/// Types across `point`: 41 evenly spaced over `point ± half_width`, and
/// the `ulps` doubles on either side of `point` with `point` itself, in
/// increasing order.
fn types_around(point: f64, half_width: f64, ulps: usize) -> Vec<f64> {
    let mut types: Vec<f64> = (0..=40)
        .map(|i| point + half_width * (i as f64 / 20.0 - 1.0))
        .collect();
    let (mut below, mut above) = (point, point);
    types.push(point);
    for _ in 0..ulps {
        below = below.next_down();
        above = above.next_up();
        types.extend([below, above]);
    }
    types.sort_by(f64::total_cmp);
    types
}

/// The market of `spec` solves at its `α`, Lemma 1 holds
/// (`check_feasibility`), and class `class`'s `V` and interim allocation
/// are monotone on [`types_around`] `point`.
fn lemma_1_holds_around(spec: &str, class: usize, point: f64, (half_width, ulps): (f64, usize)) {
    let (market, alpha) = spec_market(spec);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
    assert_monotone_at(&mech, class, &types_around(point, half_width, ulps));
}

/// A class of market 526 of `ironing_search ordinary 20000 81`: a uniform
/// ends at 0.41834902, 89 σ into a normal's upper tail, which carries on
/// to the support's end at 0.4228 with a density that is 0 in `f64` but a
/// hazard ratio that is not: the upper type rises as `2z − 0.41835` on the
/// uniform, falls by 2e-5 at its end, and rises again beyond. Only that
/// small dip needs ironing. Read at the uniform's end itself (the tail's
/// value), the cell before it showed no crossing of the pool's level, so
/// the polish put the pool's lower end back at the hull's vertex, 0.3978,
/// and the upper type was pooled at 0.3978 over 0.02 of the uniform where
/// it rises by 0.04. The cell's own values end just below the point now.
/// Checked: `V` against the grid oracle on 4 000 cells (cell averages,
/// away from `V`'s corners), and Lemma 1.
#[test]
fn a_pool_end_inside_the_cell_before_a_fall_of_the_type_is_found() {
    let (market, alpha) = spec_market(SPEC_81_526_CLASS);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let (lo, hi) = market.classes()[0].distribution().support();
    let n = 4000;
    let edges: Vec<f64> = (0..=n)
        .map(|k| lo + (hi - lo) * k as f64 / n as f64)
        .collect();
    let gap = oracle_gap_on(&mech, 0, &edges);
    assert!(gap < 1e-9, "V differs from the oracle by {gap:e}");
}

const SPEC_81_526_CLASS: &str = r#"{"alpha":1.0,"traders":[{"kappa":4.1372412495692945,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.24673459895921238,"distribution":{"family":"truncated_normal","mu":0.09001996214029945,"sigma":0.0036757421287299387,"lo":0.09776464477059679,"hi":0.4227638122718165}},{"weight":0.2886162397837517,"distribution":{"family":"uniform","lo":0.11042466617695607,"hi":0.4183490202921551}}]}}]}"#;

/// Market 324 of `ironing_search ordinary 5000 681` (with assessment): a
/// class whose screen held at its level (below its support) but whose
/// stand-in types, away from there, put a constant `L̂` under `Ĥ`, so the
/// mean of its `V` jumped by 0.097 as the level crossed the support's
/// lower end. The level equations had no root; the outer search ended at
/// the jump with its aggregate 0.118 off the classes' own sum, and the
/// status reported a residual of 5e-17, measured against that aggregate.
/// The revenue, 1.64, was not the 2.54 the auction raises (Monte Carlo,
/// and the assessment under the same market); traders lost money.
///
/// Checked against what does not come from the solver's moments: the
/// paper's level equations `η_k = c_k (Σ_j n_j E V_j − E V_k)` with each
/// `E V_k` by the reference rule in quantile space over the solved `V`,
/// and the revenue of the design against the side payments' expected
/// revenue (quadrature of each class's payments).
#[test]
fn the_levels_hold_with_the_classes_own_means_where_a_screen_stands_in() {
    let (market, alpha) = spec_market(SPEC_681_324);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let classes = market.classes();
    let means: Vec<f64> = (0..classes.len())
        .map(|k| {
            let v = mech.class(k).virtual_value();
            let (za, zb) = v.binding_interval();
            common::quantile_integral(v.distribution(), |z| v.value(z), &[za, zb], 8)
        })
        .collect();
    let sum: f64 = classes
        .iter()
        .zip(&means)
        .map(|(c, m)| c.count() as f64 * m)
        .sum();
    let k_total = market.total_kappa();
    for (k, c) in classes.iter().enumerate() {
        let ck = c.kappa() / (k_total - c.kappa());
        let eta = mech.class(k).virtual_value().eta();
        let want = ck * (sum - means[k]);
        assert!(
            (eta - want).abs() < 1e-9,
            "class {k}: η {eta} against {want} from the classes' means"
        );
    }
    let rules = exchange_design::implementation::SidePayments::new(&mech).unwrap();
    let r = rules.expected_revenue();
    assert!(
        (r - mech.revenue()).abs() < 1e-9,
        "auction {r}, direct {}",
        mech.revenue()
    );
}

const SPEC_681_324: &str = r#"{"alpha":0.5993722216986855,"traders":[{"kappa":1.0621546395441954,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.005304019791971368,"distribution":{"family":"truncated_normal","mu":-0.7085350136208713,"sigma":0.10637674926298775,"lo":-0.7068198077453295,"hi":-0.592028889891483}},{"weight":0.6399327604581986,"distribution":{"family":"triangular","lo":-0.592028889891483,"mode":-0.44916327625525365,"hi":-0.398927980850204}},{"weight":0.5812533286441697,"distribution":{"family":"mixture","components":[{"weight":0.052699146488446286,"distribution":{"family":"truncated_normal","mu":-0.6136540982961343,"sigma":0.0002833935325675683,"lo":-0.6272849680305015,"hi":-0.6071750122356023}},{"weight":0.6991462332081924,"distribution":{"family":"piecewise_linear","z":[-0.6283682403302615,-0.6237036112078934,-0.6218363712976029,-0.6166876408283833,-0.6082932773610842,-0.6049922166697201,-0.5954764208118227,-0.591099608885407,-0.5893858930792447],"density":[0.5929685128358597,1.41741087393767,0.3859439497138746,0.7154267962144416,0.36300619576822,1.9758221729217376,0.6054939298534079,1.2843227901199308,0.393444394464352]}}]}}]}},{"kappa":3.877708073742452,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.7443037999794573,"distribution":{"family":"triangular","lo":-1.0614587139540794,"mode":-0.9227890140959472,"hi":-0.8334049992425456}},{"weight":0.7221880556115774,"distribution":{"family":"uniform","lo":-0.9874667976987793,"hi":-0.8125025159827132}}]}},{"kappa":0.9334974424546282,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.5625733071537387,"distribution":{"family":"piecewise_linear","z":[-1.0096967951338023,-0.9489983380682019,-0.9211620825185434,-0.9072619703231886,-0.8463651630410953,-0.7954945906891091,-0.7618332212908268,-0.7438084633508526,-0.6701442991735866,-0.6306618431394038,-0.6177995795013541,-0.5542744779840657],"density":[1.1919724079053908,0.008273709345356836,0.7378600860855895,0.0026856916077344036,0.029270153890568112,0.003294923847093449,0.07541280735010117,0.1769612285527093,0.5599906213713038,1.2627584467435868,0.042997261689250346,1.0476622335114107]}},{"weight":0.016451622171626715,"distribution":{"family":"beta","a":9.241683018550427,"b":9.801229841962718,"lo":-1.0558651167302413,"hi":-0.873729848022135}},{"weight":0.5861433163635859,"distribution":{"family":"truncated_normal","mu":-0.788095981093647,"sigma":0.008634314282377183,"lo":-1.0894897282506841,"hi":-0.8036091756128889}},{"weight":0.30837265827296767,"distribution":{"family":"beta","a":1.0,"b":9.737476922560676,"lo":-0.8891600107263745,"hi":-0.4265279943068658}}]}},{"kappa":0.9196079272607447,"count":4,"distribution":{"family":"truncated_normal","mu":0.4395202095977969,"sigma":0.008224742087042474,"lo":0.33258929843461404,"hi":1.229836713323731}}]}"#;

/// Market 1065 of `ironing_search ordinary 20000 71`: class 1 mixes a
/// uniform with a normal truncated 30 σ below its mean, whose density
/// rises by e every 1.7e-5 up to the truncation at 0.93552. The integral
/// of the upper type over the raw stretch ending just before it was one
/// long piece whose rule had no node in the last 1e-4, where the rise
/// changes `(1 − F)/f`: its error estimate missed 7.6e-9 (3.5e-4
/// relative) there, the utility gain was off by 4e-9, and Lemma 1's eq. (3)
/// failed. The integrals are now split at the density's feature points.
/// Checked: `∫ V` over three stretches before the truncation against
/// Gauss–Legendre on 2 000 panels, and Lemma 1.
#[test]
fn the_integral_of_a_raw_type_sees_a_density_rising_before_a_piece_ends() {
    let (market, alpha) = spec_market(SPEC_71_1065);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let v = mech.class(1).virtual_value();
    for (a, b) in [
        (0.93, 0.9352),
        (0.9352, 0.9353),
        (0.9353, 0.9353247336636106),
    ] {
        let cuts: Vec<f64> = (1..2000).map(|k| a + (b - a) * k as f64 / 2000.0).collect();
        let reference = gl(|s| v.value(s), a, b, &cuts);
        let got = v.integral(b) - v.integral(a);
        assert!(
            (got - reference).abs() < 1e-14,
            "[{a}, {b}]: {got:e} against {reference:e}"
        );
    }
}

const SPEC_71_1065: &str = r#"{"alpha":0.6040734040609285,"traders":[{"kappa":0.30685849636678725,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.31473505974130805,"distribution":{"family":"beta","a":1.0,"b":1.0,"lo":-1.1571411202310298,"hi":0.10355914730910687}},{"weight":0.5626842670015724,"distribution":{"family":"beta","a":17.632899809407444,"b":1.5625203269547914,"lo":-1.4098786520453568,"hi":-0.34567206556143226}},{"weight":0.3482002413240376,"distribution":{"family":"truncated_normal","mu":0.3169104253477463,"sigma":0.0029657620953011344,"lo":0.10355914730910687,"hi":0.5680034672967392}}]}},{"kappa":2.108598189319685,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.05130814156703887,"distribution":{"family":"truncated_normal","mu":0.9506030598288886,"sigma":0.000505887635887012,"lo":0.7777554883847551,"hi":0.9355181747473625}},{"weight":0.5624420443453012,"distribution":{"family":"uniform","lo":0.7801648372780102,"hi":0.9965337053901145}}]}},{"kappa":1.6779957904835874,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.9855999184267292,"distribution":{"family":"triangular","lo":-0.9591611320064682,"mode":-0.6649815014005265,"hi":-0.09141224540750437}},{"weight":0.7408000229740093,"distribution":{"family":"triangular","lo":-1.2652766626140306,"mode":-0.272633130656033,"hi":-0.25290381317481847}},{"weight":0.754126310555286,"distribution":{"family":"truncated_normal","mu":-0.07685840759816343,"sigma":0.060329845486854654,"lo":-0.7093150851742537,"hi":0.5682573585138938}}]}}]}"#;

/// Market 195 of `ironing_search ordinary 20000 71`: in class 0 a Beta with
/// `b = 1.07` ends at z = −0.4546442 where a tabulated density begins. The
/// Beta's density falls to zero there like `(z₀ − z)^0.07`, by 5 % over
/// each of its last ulps, so the lower type rises steeply to the point and
/// then falls by 0.19 at it, where the table's density begins (a jump up).
/// The allowance for a continuous density's change over the last ulp was a
/// thousand times the change over the ulp before, in either direction: 50
/// times the density itself, which hid the jump up, and the interim
/// allocation rose from 0.672 to 0.833 just below the point (Lemma 1). A
/// trend allows only for a change in its own direction now. Checked:
/// Lemma 1, and `V` and the interim allocation monotone across the point
/// down to a few ulps from it.
#[test]
fn a_jump_up_where_a_density_falls_to_zero_is_ironed() {
    lemma_1_holds_around(SPEC_71_195, 0, -0.45464418385189886, (1e-6, 8));
}

const SPEC_71_195: &str = r#"{"alpha":0.3037599656036776,"traders":[{"kappa":2.95106764437031,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.8397340180075901,"distribution":{"family":"piecewise_linear","z":[-0.45464418385189886,-0.3585055282151883,-0.27806002628622095],"density":[0.8861102520266526,1.8029206358545873,0.6216104761283577]}},{"weight":0.6422976352058702,"distribution":{"family":"beta","a":2.7955630055273812,"b":1.0720845718749747,"lo":-0.9226751108714832,"hi":-0.45464418385189886}},{"weight":0.2820031499813694,"distribution":{"family":"mixture","components":[{"weight":0.18788637120084847,"distribution":{"family":"beta","a":7.290413994021283,"b":7.6316620816310605,"lo":-1.0330240552924772,"hi":-0.9603770532179058}},{"weight":0.008964639502034572,"distribution":{"family":"truncated_normal","mu":-1.2327357497768987,"sigma":0.04629003831675487,"lo":-1.2391934685264887,"hi":-1.0330240552924772}},{"weight":0.6299340480374235,"distribution":{"family":"triangular","lo":-0.9998659931592265,"mode":-0.9857571211311238,"hi":-0.9853742617876469}}]}}]}},{"kappa":2.865142033278149,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.8656762705465666,"distribution":{"family":"mixture","components":[{"weight":0.802283338989547,"distribution":{"family":"uniform","lo":0.5736324772720975,"hi":0.647527528303901}},{"weight":0.4602988467436876,"distribution":{"family":"beta","a":4.189322571637497,"b":14.928099826673227,"lo":0.647527528303901,"hi":0.8698900190050113}},{"weight":0.2339859331991791,"distribution":{"family":"piecewise_linear","z":[0.7253783591294208,0.7297343223461075,0.7448641444829984,0.7517462148616628,0.764295466104613,0.7855360391314635,0.7920338802054463,0.8149036126806245,0.8367306906660984,0.8487254949789321,0.8653711490697029,0.8797099833048715,0.8968989670771293,0.9015911635272442,0.9216002412591283],"density":[1.7776939239491711,0.01738971406252341,0.16368936499529751,1.042702852907133,0.936597520768438,1.9990765188810986,1.5578994710655292,0.03724290075429736,0.928197920355154,1.3268819083305488,1.483138303882602,1.961105362700072,1.12366547745212,1.932790262181268,1.6401941563315543]}},{"weight":0.46213471099577896,"distribution":{"family":"beta","a":4.189608835690287,"b":1.4043855365203113,"lo":0.491223090678861,"hi":0.5736324772720975}}]}},{"weight":0.25094953833883715,"distribution":{"family":"triangular","lo":0.5089427788259218,"mode":0.6935161176124979,"hi":0.8323198067791444}}]}},{"kappa":4.8760845690983965,"count":1,"distribution":{"family":"truncated_normal","mu":0.9497205571250749,"sigma":0.0026976569108196637,"lo":0.8554914649861529,"hi":1.1020401995178712}}]}"#;

/// Market 3276 of `ironing_search ordinary 20000 71`: in class 0 a
/// tabulated component begins at z = −0.7870890 inside a narrow normal's
/// tail, so the density jumps up there and the lower type falls. The pool
/// that starts there had a level below the raw type just before it
/// (−0.787089 against −0.787052), and was not extended to where the raw
/// type meets its level, because the test looked at the raw type at the
/// pool's start, where the density is the one from the right. The interim
/// allocation rose by 1.3e-5 into the pool (Lemma 1). The raw stretch's
/// end is now the point just below. Checked: Lemma 1, and `V` and the
/// interim allocation monotone around the point.
#[test]
fn a_pool_starting_at_a_jump_up_reaches_back_to_its_level() {
    lemma_1_holds_around(SPEC_71_3276, 0, -0.7870890190885955, (1e-4, 8));
}

const SPEC_71_3276: &str = r#"{"alpha":0.47768225121436403,"traders":[{"kappa":1.2231644536719029,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.6742964278553791,"distribution":{"family":"truncated_normal","mu":-0.40161213217105624,"sigma":0.0022814004743008237,"lo":-0.8449932808380545,"hi":-0.4136497279050736}},{"weight":0.0011432942671998037,"distribution":{"family":"mixture","components":[{"weight":0.5562509482562774,"distribution":{"family":"triangular","lo":-0.7016485610895675,"mode":-0.7016485610895675,"hi":-0.36862250469820296}},{"weight":0.006319276709102642,"distribution":{"family":"piecewise_linear","z":[-0.7870890190885955,-0.7448930829386136,-0.6883683615929173,-0.663498475873561,-0.6349601793106885,-0.6153006404843286,-0.5583790092447983,-0.5514771252921689,-0.5485458841369052,-0.5136156298059116,-0.5032248243561127,-0.496409767773879,-0.49208084228677035,-0.4577201180016836,-0.4066763846056425],"density":[0.055334178175549815,1.3059632420003544,0.08342501070759778,0.6176044732240963,0.08687514628929825,0.05328516533569175,0.06207288792395702,0.0434746927406389,0.8770393669230399,1.441730023112001,0.019219407128706328,1.9772643807829142,0.8182412634757026,1.3995558790477538,1.3070719658264982]}},{"weight":0.3095229382834619,"distribution":{"family":"truncated_normal","mu":-0.763046350501141,"sigma":0.0013760277932221697,"lo":-0.9937154995760178,"hi":-0.5749298824769383}},{"weight":0.41552312938582087,"distribution":{"family":"truncated_normal","mu":-0.5357249899454591,"sigma":0.009211503876513106,"lo":-0.7167434690187244,"hi":-0.5475011499750226}}]}}]}},{"kappa":0.32148881108810307,"count":3,"distribution":{"family":"truncated_normal","mu":0.9859344068519966,"sigma":0.008544099838429806,"lo":-0.14568980677617294,"hi":1.144481417543683}},{"kappa":3.0412890749975623,"count":5,"distribution":{"family":"truncated_normal","mu":0.4259590903709851,"sigma":0.2809133906284189,"lo":-0.8300475199833774,"hi":0.5769430164910527}},{"kappa":4.645212229509702,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.5496674158910402,"distribution":{"family":"uniform","lo":-1.6811421363695198,"hi":-1.1110950541727371}},{"weight":0.8231073059208003,"distribution":{"family":"triangular","lo":-1.5548915927760834,"mode":-0.9952787755930247,"hi":-0.9258759857651957}},{"weight":0.7916634168941228,"distribution":{"family":"beta","a":2.148014367364462,"b":1.0,"lo":-1.2975042834229358,"hi":-0.6025985325126597}},{"weight":0.02241626995420428,"distribution":{"family":"beta","a":1.3742689850196226,"b":1.357276075827212,"lo":-2.197872285870152,"hi":-1.6811421363695198}}]}}]}"#;

/// Market 1350 of `ironing_search ordinary 20000 91`: in class 0 a narrow
/// normal component ends at z = −1.4797712, a quarter of a standard
/// deviation past its mean, so the density jumps down there and the lower
/// type jumps up across the levels of the pools either side. The roots
/// that extend those pools to the jump stopped within their tolerance of
/// it, 92 ulps before and 1 062 after: the raw type showed between them,
/// below the left pool's level and above the right one's, and the interim
/// allocation rose on both sides (Lemma 1). The root now closes on
/// adjacent doubles. Checked: Lemma 1, and `V` and the interim allocation
/// monotone across the point down to single ulps.
#[test]
fn pools_extended_to_a_jump_meet_at_the_jump() {
    lemma_1_holds_around(SPEC_91_1350, 0, -1.4797711557630793, (1e-9, 1100));
}

const SPEC_91_1350: &str = r#"{"alpha":0.3779118091915137,"traders":[{"kappa":1.9169614074616255,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.004760723586902848,"distribution":{"family":"triangular","lo":-1.4577002732885835,"mode":-0.70500387743134,"hi":-0.5249705855770471}},{"weight":0.08505904465727598,"distribution":{"family":"truncated_normal","mu":-1.7233666970757662,"sigma":0.48706806139439596,"lo":-1.688659581585113,"hi":-1.0973451535733}},{"weight":0.21290643985304217,"distribution":{"family":"beta","a":1.1005684826095867,"b":1.2292576852554122,"lo":-0.5249705855770471,"hi":0.0531899523103162}},{"weight":0.7243355610434625,"distribution":{"family":"mixture","components":[{"weight":0.6163308838167996,"distribution":{"family":"triangular","lo":-1.4295652516618746,"mode":-1.425921366245831,"hi":-0.6363019864704031}},{"weight":0.9002052584752247,"distribution":{"family":"uniform","lo":-1.8691573184174521,"hi":-1.156548086186552}},{"weight":0.8915631928225769,"distribution":{"family":"truncated_normal","mu":-1.4809105524008366,"sigma":0.004420296468193236,"lo":-1.7481811004143042,"hi":-1.4797711557630793}}]}}]}},{"kappa":0.4098615662003356,"count":4,"distribution":{"family":"truncated_normal","mu":0.07966898597239586,"sigma":0.012847662043120761,"lo":-0.17482047432564018,"hi":1.0674728925262826}},{"kappa":3.9305445054399812,"count":3,"distribution":{"family":"piecewise_linear","z":[0.02247512359291351,0.03949561901913287,0.07455580592822565,0.1002980413481298,0.14085237784326118,0.18528189477586385,0.2146601369212279,0.2612316992926546,0.2861904583592427,0.32812198710765605,0.36408134110053814,0.40367044654816453,0.4267077276987067,0.4455744609024197],"density":[0.04070566368314051,0.49965684475955496,1.3105447082802117,1.4640421621795279,0.025084090358895465,1.8562046198374456,0.823216300126433,1.3425400685093014,0.11078102712812986,0.004114494124586355,0.009792325401476759,1.830386919009526,0.022717140610087123,0.017862841099656093]}},{"kappa":3.757350248783333,"count":5,"distribution":{"family":"truncated_normal","mu":-0.22962683176619803,"sigma":0.003768806988263015,"lo":-0.5567464872025608,"hi":0.11793057831198472}}]}"#;

/// Market 552 of `ironing_search ordinary 20000 101`: class 1's lower type
/// is pooled across a gap, from where a Beta ends at −1.4558 to where a
/// uniform begins at −1.1630. The pool starts one double past the Beta's
/// end, where the density is 0 and the raw lower type infinite. The
/// generalised inverse `Z_a = inf {L̂ ≥ η}` read the raw stretch before
/// the pool at the pool's own start, so that stretch "reached" every level:
/// at β = 1e-20 it returned −1.4558 for a level near −0.1, and the level
/// equations had no root (relative residual 2e-2). The stretch now ends
/// at the double before the pool. Checked at that weight: the level
/// equations hold, and `Z_a` is above the gap (−1.163, just below the
/// uniform's start in the spec: up to there `L̂` is at most the gap pool's
/// level, far below `η`); and at the market's
/// `α` = 0, Lemma 1 and monotonicity.
#[test]
fn a_pool_across_a_gap_is_not_reached_from_the_stretch_before_it() {
    let (market, _) = spec_market(SPEC_101_552);
    let mech = OptimalMechanism::solve_unconstrained(&market, 1e-20, &Default::default()).unwrap();
    let v = mech.class(1).virtual_value();
    let (za, _) = v.binding_interval();
    assert!(za >= -1.163, "Z_a = {za}, η = {}", v.eta());
    assert!(v.eta() > -0.2, "η = {}", v.eta());
    lemma_1_holds_around(SPEC_101_552, 1, -1.4558486912062183, (1e-9, 8));
}

const SPEC_101_552: &str = r#"{"alpha":0.0,"traders":[{"kappa":0.48257949362073854,"count":4,"distribution":{"family":"truncated_normal","mu":-0.0701584219913697,"sigma":0.06567796140646832,"lo":-0.08653674647957377,"hi":0.44657123839993307}},{"kappa":1.2573105319328188,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.761209398593508,"distribution":{"family":"truncated_normal","mu":-0.41327597510976466,"sigma":0.033266372041475804,"lo":-0.6027838993348422,"hi":-0.07517030459020302}},{"weight":0.4973454852250135,"distribution":{"family":"uniform","lo":-1.1629873653452987,"hi":-0.6027838993348422}},{"weight":0.3981858219057407,"distribution":{"family":"mixture","components":[{"weight":0.63344128419606,"distribution":{"family":"beta","a":1.0,"b":1.0,"lo":-1.6710301134845849,"hi":-1.4558486912062183}},{"weight":0.4321682510280293,"distribution":{"family":"beta","a":19.286547317362263,"b":10.551857469842814,"lo":-1.8825296995808636,"hi":-1.6710301134845849}},{"weight":0.7620712156784952,"distribution":{"family":"uniform","lo":-1.73927118515949,"hi":-1.7015518848893953}}]}},{"weight":0.4659878360824592,"distribution":{"family":"beta","a":2.703503707401741,"b":1.0,"lo":-0.5810877029876006,"hi":-0.2548003223282375}}]}},{"kappa":2.8022295284149057,"count":3,"distribution":{"family":"uniform","lo":0.18325207329074422,"hi":1.4385432063828394}}]}"#;

/// Market 1081 of `ironing_search ordinary 20000 121`: in class 1 a
/// uniform component ends at −0.4304705 and a normal's far tail (12.6 σ
/// out, density 1e-35 and rising) carries on from there, holding about
/// 1e-20 of the probability up to where the lower type returns below its
/// levels. The pool that starts at the uniform's end began a few ulps
/// inside the uniform, where the polish's root stopped, and those ulps
/// held a hundred times the tail's mass: the pool's level was mostly the
/// uniform's, not where the raw type meets it, and revenue fell with the
/// weight (from −0.0058 at β = 1e-40 to −0.0194 at 1e-19), so the budget
/// search found no weight that breaks even. The polish's roots now close
/// on adjacent doubles. Checked: revenue non-decreasing in the weight from
/// 0 to 1e-17, and at the market's α = 0, Lemma 1 and monotonicity.
#[test]
fn a_pool_lighter_than_the_ulps_beside_it_starts_at_the_jump() {
    let weights = [
        0.0, 1e-40, 1e-30, 1e-25, 1e-22, 1e-20, 1e-19, 3e-19, 1e-18, 3e-18, 1e-17,
    ];
    revenue_does_not_fall_from_zero_weight(SPEC_121_1081, &weights);
}

const SPEC_121_1081: &str = r#"{"alpha":0.0,"traders":[{"kappa":2.79672386514781,"count":4,"distribution":{"family":"piecewise_linear","z":[-0.39445539992980944,-0.3230399957442237,-0.25752747959882427,-0.18517653307977378,-0.16330596044756224],"density":[1.0538968349940163,0.1994297531221913,0.012631799925875662,0.6848998833187961,1.6799271814228636]}},{"kappa":0.28415334918290897,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.20547353796134163,"distribution":{"family":"truncated_normal","mu":0.1776204812853428,"sigma":0.048253258999554176,"lo":-0.9713063643038568,"hi":0.07753081258678007}},{"weight":0.09699838643248293,"distribution":{"family":"truncated_normal","mu":-1.1328671438968076,"sigma":0.29402711790028385,"lo":-1.4796412553873726,"hi":-0.9713063643038568}},{"weight":0.0019662088748950974,"distribution":{"family":"mixture","components":[{"weight":0.011642296347698243,"distribution":{"family":"triangular","lo":-0.8804589393059662,"mode":-0.6616905832820652,"hi":-0.6616905832820652}},{"weight":0.33533868990653914,"distribution":{"family":"truncated_normal","mu":-0.979908493051131,"sigma":0.033548290890268354,"lo":-0.9721909850796011,"hi":-0.8804589393059662}},{"weight":0.7495520717915201,"distribution":{"family":"truncated_normal","mu":-0.722488567570164,"sigma":0.0004659885431943138,"lo":-0.7688205753964097,"hi":-0.6618285216105927}},{"weight":0.49805704358947295,"distribution":{"family":"uniform","lo":-0.6616905832820652,"hi":-0.43047052383636836}}]}}]}},{"kappa":0.8026904784909161,"count":1,"distribution":{"family":"beta","a":7.273974605918048,"b":1.0,"lo":-0.28770958223554355,"hi":0.14320366520358993}}]}"#;

/// Market 2650 of `ironing_search ordinary 20000 71`: in class 1 a narrow
/// normal's upper tail runs from 9 σ out (density 1e-18) to where a Beta
/// (`a = 4.5`) begins at −0.542, and the lower type, huge across that
/// tail, returns below its level only inside the Beta's first cells,
/// whose masses (1e-20 to 1e-18) are below what `F` resolves there. The
/// hull's vertex sat inside the exact pool, where the raw type was below
/// the level; the polish looked for the pool's end only in the cells next
/// to the vertex, so the end stayed at the vertex and the level iteration
/// ran away: between β = 1.5e-17 and 3e-17 the pool took in 1e-5 of the
/// Beta's mass and let it go again, revenue went up and down by 8e-4, and
/// the budget search found no weight that breaks even. The polish now
/// looks outward past the vertex to the nearest crossing. Checked over
/// that range of weights: revenue does not fall and efficiency does not
/// rise (the weight on revenue rises), and at the market's α = 0, Lemma 1
/// and monotonicity.
#[test]
fn a_pool_end_beyond_its_hull_vertex_is_found() {
    let weights = [1e-17, 1.5e-17, 2e-17, 2.5e-17, 3e-17, 1e-16];
    revenue_does_not_fall_from_zero_weight(SPEC_71_2650, &weights);
    let (market, _) = spec_market(SPEC_71_2650);
    let efficiency: Vec<f64> = weights
        .iter()
        .map(|&b| {
            OptimalMechanism::solve_unconstrained(&market, b, &Default::default())
                .unwrap()
                .efficiency()
        })
        .collect();
    for (w, e) in weights.windows(2).zip(efficiency.windows(2)) {
        assert!(
            e[1] <= e[0] + 1e-14,
            "efficiency rises from {} at beta = {:e} to {} at {:e}",
            e[0],
            w[0],
            e[1],
            w[1]
        );
    }
}

const SPEC_71_2650: &str = r#"{"alpha":0.0,"traders":[{"kappa":1.9287979032863922,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.8271256940845322,"distribution":{"family":"truncated_normal","mu":-0.003418211444361441,"sigma":0.17238732384584224,"lo":-0.3419847121256029,"hi":0.04728555388327427}},{"weight":0.025977324184763683,"distribution":{"family":"uniform","lo":-0.4446548456620855,"hi":-0.002907172125958757}}]}},{"kappa":0.7382448191383475,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.04431173929547431,"distribution":{"family":"truncated_normal","mu":-0.8403701072133951,"sigma":0.01048188240947324,"lo":-1.925672228525074,"hi":0.28814950444606513}},{"weight":0.6369571405968608,"distribution":{"family":"beta","a":3.046112862373124,"b":19.080318218241285,"lo":-0.22465994857868782,"hi":1.4102601674971027}},{"weight":0.981996265077785,"distribution":{"family":"beta","a":4.522494289644915,"b":10.614549839764114,"lo":-0.5420138261173575,"hi":1.7524547858563824}}]}},{"kappa":4.904624329115657,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.6475757056517066,"distribution":{"family":"beta","a":7.417053302490774,"b":3.535913043018917,"lo":0.059523203870539665,"hi":0.4320453337208639}},{"weight":0.41781681544887894,"distribution":{"family":"piecewise_linear","z":[-0.14065177962403289,-0.12283147860960217,-0.10279878521097656,-0.09864423373972656,-0.09186569755585881,-0.06585289388721777,-0.04967843358224813,-0.03476545779690679,-0.0330344783530028,-0.0299834461879437,-0.0055675637021145585,0.023189674054330506,0.05401054885827586,0.059523203870539665],"density":[1.4183306450814277,1.0241115846833417,0.9667460411226383,1.0435012077921515,0.1744147825472458,0.0038163226106636234,0.3328364351357249,1.3354893026542871,0.10104075322836599,0.06432109161798459,1.080286180635884,0.34114964332132336,1.363076726918007,0.3749064937356216]}}]}}]}"#;

/// Market 2760 of `ironing_search ordinary 20000 141`: class 1's support
/// begins 45 σ below a narrow normal component, where the density is 0 in
/// `f64` up to 38.6 σ; at `β = α` the lower type's pool at that end held a
/// single subnormal quantum (5e-324) of probability, and the polish's
/// level, a ratio of such numbers, went to 0/0: "the computed revenue is
/// not finite". A pool lighter than `EMPTY_MASS` keeps the hull's level.
/// Checked: finite revenue at `β = α`, not falling with the weight, and at
/// the market's α, Lemma 1 and monotonicity.
#[test]
fn a_pool_of_one_subnormal_quantum_keeps_a_finite_level() {
    let weights = [0.4724710433407293, 0.4725, 0.5];
    let r = revenue_does_not_fall_from_zero_weight(SPEC_141_2760, &weights);
    assert!(r.iter().all(|v| v.is_finite()), "{r:?}");
}

const SPEC_141_2760: &str = r#"{"alpha":0.4724710433407293,"traders":[{"kappa":1.824840290680489,"count":2,"distribution":{"family":"triangular","lo":-0.3018905323160132,"mode":-0.10860145769518492,"hi":-0.047408365674591}},{"kappa":4.31937193635914,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.5177969520347216,"distribution":{"family":"beta","a":2.8111642815922893,"b":5.714918210862992,"lo":-0.7871543873891781,"hi":-0.3433227296034113}},{"weight":0.5915005517653809,"distribution":{"family":"uniform","lo":-0.6950982267740464,"hi":-0.41648069424189527}},{"weight":0.6327079588946951,"distribution":{"family":"truncated_normal","mu":-0.6976993666450966,"sigma":0.005670344260890311,"lo":-0.9547807514657316,"hi":-0.520608882321227}},{"weight":0.4191247213118068,"distribution":{"family":"beta","a":5.039420069099714,"b":1.030138035691457,"lo":-0.7496966617710153,"hi":-0.15739082295036622}}]}}]}"#;

/// Markets 5 and 12 of `ironing_search harsh 1000 161`: classes a few
/// hundredths wide at z ≈ −9 825 and −4 954. Around a table's dips
/// `check_feasibility` puts types a few floats apart, and the quadrature
/// dropped the nodes that round onto a panel's end: 1.2 % of the weight
/// on a piece narrower than about 230 floats, all of it on a piece one
/// float wide (an integral of 0 with error 0). The envelope integral was
/// reported short of its accuracy, and once that accuracy allowed for the
/// rounding of the gains it is compared with (market 5 reaches 1e-7 of
/// the piece, not the 5e-8 of `feasibility_rel` alone), it was off by
/// 2.6e-7 on market 12. Now Lemma 1 holds on both, and on market 12's
/// table class the reported gain agrees with the envelope formula
/// integrated here: 3-point Gauss–Legendre on 64 subpanels of each of
/// 4 000 equal pieces, split at the density's kinks and the mechanism's
/// breaks.
#[test]
fn the_envelope_check_resolves_types_a_few_floats_apart_far_from_zero() {
    for spec in [SPEC_HARSH_161_5, SPEC_HARSH_161_12] {
        let (market, alpha) = spec_market(spec);
        let mech = OptimalMechanism::solve(&market, alpha).unwrap();
        check_feasibility(&mech).unwrap();
    }
    let (market, alpha) = spec_market(SPEC_HARSH_161_12);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let worst = envelope_gap(&mech, 2);
    assert!(worst < 1e-10, "{worst:e}");
}

/// The largest gap, over 4 000 equal pieces of class `class`'s support
/// split at the density's kinks and the mechanism's breaks, between the
/// reported utility gain and the envelope formula (3) integrated here from
/// the lowest type's gain: 3-point Gauss–Legendre on 64 subpanels of each
/// piece.
fn envelope_gap(mech: &OptimalMechanism, class: usize) -> f64 {
    let c = &mech.market().classes()[class];
    let (lo, hi) = c.distribution().support();
    let mut edges: Vec<f64> = (0..=4000)
        .map(|k| lo + (hi - lo) * f64::from(k) / 4000.0)
        .chain(c.distribution().kinks().iter().copied())
        .chain(mech.allocation_breaks(class))
        .filter(|z| *z >= lo && *z <= hi)
        .collect();
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let gl3 = [
        (-0.774_596_669_241_483_4, 5.0 / 9.0),
        (0.0, 8.0 / 9.0),
        (0.774_596_669_241_483_4, 5.0 / 9.0),
    ];
    let g_lo = mech.utility_gain(class, lo).unwrap();
    let mut integral = 0.0;
    let mut worst: f64 = 0.0;
    for w in edges.windows(2) {
        for j in 0..64 {
            let a = w[0] + (w[1] - w[0]) * f64::from(j) / 64.0;
            let b = w[0] + (w[1] - w[0]) * f64::from(j + 1) / 64.0;
            let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
            for (x, weight) in gl3 {
                integral += weight * half * mech.interim_allocation(class, mid + half * x).unwrap();
            }
        }
        let envelope = g_lo - integral / c.kappa();
        worst = worst.max((mech.utility_gain(class, w[1]).unwrap() - envelope).abs());
    }
    worst
}

/// Market 15 of `ironing_search harsh 3000 171`: one class 0.006 wide at
/// z = −5 295 (a narrow normal and a table), κ = 0.077. The allocation is
/// `x̄ = −(1 − w)(V − c) + w Σ_{j≠i} E V_j`, and the gain was written with
/// η where the allocation has `w Σ_{j≠i} E V_j`; the two agree only to the
/// level equations' accuracy, `root_rel` of |η|, which that far from zero
/// is 5e-10. The lowest type's gain was 1.1e-11 off the envelope integral
/// of the allocation at `Z_a`, the gains above the binding interval 7e-12
/// (the gain tolerance there is 4.8e-12). Lemma 1 now holds, and the gain
/// agrees with the envelope formula integrated here to 1e-12. (Both are
/// now written from η, `x̄ = −(1 − w)(V − η)`: see the next test.)
#[test]
fn the_gains_far_from_zero_follow_the_allocation_not_the_level() {
    let (market, alpha) = spec_market(SPEC_HARSH_171_15);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let worst = envelope_gap(&mech, 0);
    assert!(worst < 1e-12, "{worst:e}");
}

/// Market 796 of `ironing_search harsh 3000 461`: four classes on supports
/// shifted by up to 8 400, so class 1 (a narrow normal near 0.67, κ = 13)
/// has its level at η = 13 740. Its interim allocation was
/// `−(1 − w)(V − c) + w Σ_{j≠i} E V_j`, which at `V = η` is the level
/// equation's residual, about `root_rel · |η|`: −1.0e-9 one double below
/// `Z_a`, where `V < η` and a trader must buy, then 0 on the binding
/// interval, a step up that Lemma 1's check caught. Measured from the
/// level, `x̄ = −(1 − w)(V − η)` has the sign the law gives on each side
/// of the interval and is continuous at its ends, and the gain still
/// follows it by the envelope formula.
#[test]
fn the_allocation_far_from_zero_is_continuous_at_the_binding_interval() {
    let (market, alpha) = spec_market(SPEC_HARSH_461_796);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let (za, zb) = mech.class(1).virtual_value().binding_interval();
    let (lo, hi) = market.classes()[1].distribution().support();
    assert!(lo < za && za < zb && zb <= hi, "{za} {zb}");
    let mut z = za;
    for _ in 0..8 {
        z = z.next_down();
        let x = mech.interim_allocation(1, z).unwrap();
        assert!(x >= 0.0, "x̄({z}) = {x:e} below Z_a = {za}");
    }
    assert_eq!(mech.interim_allocation(1, za).unwrap(), 0.0);
    // The gain follows the allocation (eq. (3)) to rounding of its size.
    let gain = mech.utility_gain(1, lo).unwrap();
    let gap = envelope_gap(&mech, 1);
    assert!(gap <= 1e-13 * gain, "{gap:e} against a gain of {gain}");
}

const SPEC_HARSH_461_796: &str = r#"{"alpha":0.617881630230136,"traders":[{"kappa":0.012827250044860673,"count":1,"distribution":{"family":"triangular","lo":860.133578779597,"mode":907.5364676943946,"hi":922.097868621514}},{"kappa":13.04888202935859,"count":1,"distribution":{"family":"truncated_normal","mu":0.6686380584056755,"sigma":0.0029324782338228995,"lo":0.5532416609932355,"hi":0.7516094149010458}},{"kappa":1.2168058449550858,"count":4,"distribution":{"family":"beta","a":25.73626697084079,"b":28.919362925960257,"lo":5452.535054011172,"hi":5452.544749862274}},{"kappa":11.306647208186934,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.06451797842174799,"distribution":{"family":"truncated_normal","mu":8449.470804003118,"sigma":7.430034309236172,"lo":8274.657775537302,"hi":8445.65743628197}},{"weight":0.9565926062163264,"distribution":{"family":"truncated_normal","mu":8218.866966602274,"sigma":226.3582725658715,"lo":8137.91871081429,"hi":8459.109361137818}}]}}]}"#;

/// Market 1858 of `ironing_search harsh 3000 191`: one trader of κ = 17.7
/// (most of the market's risk capacity) on a mixture 0.16 wide at
/// z = 6 010, whose binding interval is the top 2.4e-8 of its support.
/// Below the binding interval `x̄ ≥ 0` decreases to 0 at `Z_a`, so the
/// envelope formula bounds the gain there: `0 ≤ G(z) ≤ x̄(z)(Z_a − z)/κ`.
/// The gain was the lowest type's (from the moments) less the integral
/// from `lo` (a quadrature), which agree to 4e-12 of the gain's 46, and
/// just below `Z_a` it was −7.2e-11: Lemma 1 failed on individual
/// rationality. It is now integrated from `Z_a` down, and the bound holds
/// to what the doubles resolve over a few ulps.
#[test]
fn the_gain_just_below_the_binding_interval_is_bounded_by_the_envelope() {
    let (market, alpha) = spec_market(SPEC_HARSH_191_1858);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let class = 2;
    let (za, _) = mech.class(class).virtual_value().binding_interval();
    let mut below = vec![6_010.572_709_852_833];
    for gap in [1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-6, 1e-4] {
        below.push(za - gap);
    }
    let mut z = za;
    for _ in 0..16 {
        z = z.next_down();
        below.push(z);
    }
    // The failure this pins was −7.2e-11, beyond the resolution by two
    // orders.
    assert_gains_below_within_envelope(&mech, class, &below);
}

/// Below the binding interval `x̄ ≥ 0` decreases to 0 at `Z_a`, so the
/// envelope formula bounds the gain: `0 ≤ G(z) ≤ x̄(z)(Z_a − z)/κ`, at each
/// of the types `below`, to what the doubles resolve of an integral over a
/// stretch of a few ulps: the allocation's size over four ulps (just below
/// `Z_a` the virtual type can climb steeply, and a panel one ulp wide
/// knows it only at its ends).
fn assert_gains_below_within_envelope(mech: &OptimalMechanism, class: usize, below: &[f64]) {
    let kappa = mech.market().classes()[class].kappa();
    let (za, _) = mech.class(class).virtual_value().binding_interval();
    for &z in below {
        let gain = mech.utility_gain(class, z).unwrap();
        let x = mech.interim_allocation(class, z).unwrap();
        let bound = x * (za - z) / kappa;
        let resolution = 4.0 * x.abs() * (z.next_up() - z) / kappa;
        assert!(
            gain >= -resolution && gain <= bound * (1.0 + 1e-9) + resolution,
            "z = {z}: gain {gain:e}, envelope bound {bound:e}, resolution {resolution:e}"
        );
    }
}

/// Market 908 of `ironing_search harsh 3000 201`: one class 0.0023 wide at
/// z = −6 262. A utility gain is `(1/κ) ∫ x̄` with `x̄` of the size of the
/// types' spread, but the quadrature of the hazard ratio behind it aimed
/// at `quad_rel` of the types' distance from zero (`(b² − a²)/2`, the
/// width times 6 262): the gain at z = −6 262.131958 came out 7.7e-16 off
/// the envelope integral of the allocation, against Lemma 1's tolerance of
/// 8e-17. The aim is now centred. Checked: Lemma 1, and the gain at that
/// type and at twenty more below `Z_a` against the allocation integrated
/// here by Gauss–Legendre on 64 panels, split at the density's kinks and
/// the allocation's breaks, to a tenth of Lemma 1's tolerance.
#[test]
fn a_gain_far_from_zero_is_as_accurate_as_the_spread_of_the_types() {
    let (market, alpha) = spec_market(SPEC_HARSH_201_908);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let kappa = market.classes()[0].kappa();
    let (lo, _) = market.classes()[0].distribution().support();
    let (za, _) = mech.class(0).virtual_value().binding_interval();
    let kinks = market.classes()[0].distribution().kinks().to_vec();
    let breaks = mech.allocation_breaks(0);
    let mut types: Vec<f64> = (0..20).map(|k| lo + (za - lo) * k as f64 / 20.0).collect();
    types.push(-6_262.131_957_988_204);
    for z in types {
        let mut edges: Vec<f64> = (0..=64).map(|k| z + (za - z) * k as f64 / 64.0).collect();
        edges.extend(breaks.iter().copied().filter(|&b| b > z && b < za));
        // Geometric steps away from each kink, where a component starts in
        // a normal's far tail (24σ out; the density varies on 2e-7).
        for &k in &kinks {
            for j in 0..14 {
                let step = 1e-10 * 4f64.powi(j);
                edges.extend(
                    [k - step, k + step]
                        .into_iter()
                        .filter(|&e| e > z && e < za),
                );
            }
        }
        edges.sort_by(f64::total_cmp);
        let envelope: f64 = edges
            .windows(2)
            .map(|w| {
                gl(
                    |s| mech.interim_allocation(0, s).unwrap(),
                    w[0],
                    w[1],
                    &kinks,
                )
            })
            .sum::<f64>()
            / kappa;
        let gain = mech.utility_gain(0, z).unwrap();
        let tol = 1e-9 * (za - lo).powi(2) / kappa;
        assert!(
            (gain - envelope).abs() <= tol,
            "z = {z}: gain {gain:e}, envelope {envelope:e}, tolerance {tol:e}"
        );
    }
}

/// Market 657 of `ironing_search harsh 3000 211`: class 0 is a table of 97
/// nodes from −12.8 to 6.7 whose density nearly vanishes in places, and at
/// `α = 1` its upper type pools one stretch at a level of −1.1e9. The
/// level's iteration stepped between neighbouring doubles there (their
/// spacing, 2.4e-7, is above the tolerance asked of a level, 1e-12 of the
/// type scale), never met the tolerance and ended in "no convergence".
/// A level's tolerance is now at least four of its own ulps. Checked:
/// the market solves and Lemma 1 holds.
#[test]
fn a_level_far_beyond_its_types_settles_within_its_own_ulps() {
    let (market, alpha) = spec_market(SPEC_HARSH_211_657);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

/// Market 2675 of `ironing_search harsh 3000 211`: a pool of class 0, joined
/// to the raw stretches beside it, holds too little probability for its
/// mean to carry the digits its level's tolerance asks, and its level
/// iteration ran out of steps ("no convergence"). Such a pool keeps the
/// level at which its ends cross the raw type. Checked: the market solves,
/// Lemma 1 holds, and `V` and the interim allocation are monotone.
#[test]
fn a_joined_pool_too_light_for_its_mean_keeps_its_crossing_level() {
    let (market, alpha) = spec_market(SPEC_HARSH_211_2675);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    assert_monotone(&mech);
}

/// Market 2588 of `ironing_search harsh 3000 211`: class 3 is a mixture
/// 0.004 wide at z = −9 118 whose binding interval begins where a Beta
/// component ends (a kink; beyond it only another Beta's far tail, density
/// 7e-17). Just below `Z_a` the gain is an integral of the lower type over
/// a stretch one float wide, which a quadrature knows only at its two
/// ends; the trapezoid took the density after the kink into it (`F/f`
/// from 3.9 to 1.5e16), and the gain one float below `Z_a` was −1.06e6
/// for the envelope's 1.3e-6. The value at a double now stands for the
/// stretch up to the next one.
#[test]
fn a_gain_one_float_below_a_kink_is_the_floats_before_it() {
    let (market, alpha) = spec_market(SPEC_HARSH_211_2588);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    check_feasibility(&mech).unwrap();
    let class = 3;
    let (za, _) = mech.class(class).virtual_value().binding_interval();
    assert_eq!(za, -9_117.747_645_916_485, "Z_a at the Beta's end");
    let below: Vec<f64> = std::iter::successors(Some(za.next_down()), |z| Some(z.next_down()))
        .take(8)
        .collect();
    assert_gains_below_within_envelope(&mech, class, &below);
}

/// A fall of the upper type where a tabulated component ends inside its
/// class, beyond it only a far tail: market 1487 of `ironing_search harsh
/// 3000 211` (cut to classes 0 and 3; class 0 is a mixture 0.01 wide at
/// z = 4 960 whose table ends 4e-17 of the probability before the top,
/// beyond it a Beta's tail holding 1e-40) and market 49 of `harsh 3000
/// 201` (class 3, a table ending at z = 4 277.19 beside a normal's tail
/// 22σ out). `H` falls by 2.4e-5 and 7e-6 across the table's end, over
/// probability far below what the cumulative curve resolves, and the
/// density's jump looked like one falling steeply to zero: nothing was
/// pooled and the interim allocation rose across the point (Lemma 1 caught
/// the first; the second only the search's probes). The fall is now a pool
/// of its own, extended to its exact ends and mean; the allocation does
/// not rise at any of 41 doubles around the table's end. The same where
/// the density underflows on both sides of the end (market 10718 of
/// `ordinary 20000 261`: a table ending in a normal's tail 42σ out, where
/// `H`, computed in logarithms, fell by 9e-9).
#[test]
fn a_fall_of_the_type_over_probability_the_curve_cannot_resolve_is_pooled() {
    for (spec, class, end) in [
        (SPEC_HARSH_211_1487_CUT, 0, 4_960.537_377_108_681),
        (SPEC_HARSH_201_49, 3, 4_277.194_721_502_054),
        (SPEC_ORDINARY_261_10718, 0, 2.494_647_713_822_067_7),
    ] {
        let (market, alpha) = spec_market(spec);
        let mech = OptimalMechanism::solve(&market, alpha).unwrap();
        check_feasibility(&mech).unwrap();
        assert_allocation_falls_around(&mech, class, end, 20);
    }
}

/// Market 17892 of `ironing_search ordinary 20000 281`: one class whose
/// mixture has a narrow normal (σ = 0.003 at −0.936) and, 20σ above it, the
/// start of a Beta component (a kink at −0.8745), between them a stretch of
/// density down to 1e-81. At a small weight the lower type rises across
/// that stretch by a rent `β ∫ F` that no probability carries and falls back
/// at the Beta's start, so `L̂` pools from the normal's tail to just past
/// the Beta's start. The pool seeded at the fall was joined one step at a
/// time: its first mean, the rent over almost no probability, overshot,
/// and its end, which only moved outward, ran over the whole Beta at the
/// mean of its types. The pool's curve then fell 0.01 below its chord, and
/// at the weight 5.3e-9 the level equations had no solution (the solve
/// failed to converge). Checked against the law that defines a pool
/// (`∫_a^x (L − level) f ≥ 0` on it, `= 0` at its end, by Gauss–Legendre
/// here), and the whole solve against the dense Newton variant.
#[test]
fn a_pool_seeded_beside_a_stretch_without_probability_settles_to_its_mean() {
    use exchange_design::mechanism::{SolverConfig, SolverVariant};
    let (market, alpha) = spec_market(SPEC_ORDINARY_281_17892);
    let beta = 5.341_789_846_780_515e-9;
    let mech = OptimalMechanism::solve_unconstrained(&market, beta, &SolverConfig::default())
        .expect("the level equations are solved at this weight");
    let v = mech.class(0).virtual_value();
    let d = v.distribution();
    let start = -0.874_511_135_019_789_9;
    let (a, b) = v
        .ironed_intervals()
        .into_iter()
        .find(|&(a, b)| a < start && start < b)
        .expect("a pool across the Beta's start");
    let level = v.ironed_lower(start);
    // Where the Beta starts: the pool ends within 1e-4 of it, where `L`
    // (≈ z there) meets a level just above the start.
    assert!(b - start < 1e-4, "pool [{a}, {b}] at level {level}");
    assert!(
        (v.lower(b) - level).abs() <= 1e-9,
        "L(b) = {} against {level}",
        v.lower(b)
    );
    // The curve over the pool from its start, on panels fine enough for the
    // normal's tail (σ = 0.003) and split at the Beta's start.
    let mut points: Vec<f64> = (0..=400)
        .map(|k| a + (start - a) * k as f64 / 400.0)
        .collect();
    points.extend((1..=400).map(|k| start + (b - start) * k as f64 / 400.0));
    let mut curve = 0.0;
    let mut lowest = 0.0_f64;
    for w in points.windows(2) {
        curve += gl(
            |z| (z - level) * d.pdf(z) + beta * d.cdf(z),
            w[0],
            w[1],
            &[],
        );
        lowest = lowest.min(curve);
    }
    // The rent the stretch carries, β ∫ F over it: about 1e-10.
    let rent = beta * gl(|z| d.cdf(z), a, start, &points[..400]);
    assert!(
        lowest >= -1e-6 * rent,
        "the curve falls {lowest} below the chord (rent {rent})"
    );
    assert!(
        curve.abs() <= 1e-6 * rent,
        "the pool's mean is off by {curve} (rent {rent})"
    );
    // The same at the end from the closed-form partial moments.
    let closed = (d.partial_moment(b) - d.partial_moment(a)) - level * (d.cdf(b) - d.cdf(a))
        + beta * (d.cdf_integral(b) - d.cdf_integral(a));
    assert!(
        closed.abs() <= 1e-6 * rent,
        "closed form: {closed} (rent {rent})"
    );

    let solved = OptimalMechanism::solve(&market, alpha).expect("the market solves");
    check_feasibility(&solved).unwrap();
    let dense = SolverConfig::default().with_variant(SolverVariant::DenseNewton);
    let other = OptimalMechanism::solve_with(&market, alpha, &dense).unwrap();
    assert!((other.revenue() - solved.revenue()).abs() < 1e-9);
    assert!((other.efficiency() - solved.efficiency()).abs() < 1e-9);
}

/// The interim allocation of `class` is non-increasing across the `2 ulps
/// + 1` adjacent doubles centred on `point`.
fn assert_allocation_falls_around(mech: &OptimalMechanism, class: usize, point: f64, ulps: usize) {
    let mut z = point;
    for _ in 0..ulps {
        z = z.next_down();
    }
    let mut last = f64::INFINITY;
    for _ in 0..=2 * ulps {
        let x = mech.interim_allocation(class, z).unwrap();
        assert!(x <= last, "x̄ rises to {x} at z = {z} (from {last})");
        last = x;
        z = z.next_up();
    }
}

/// Market 570 of `ironing_search harsh 3000 201`, cut to two of its
/// classes: a mixture 6.3e-4 wide at z = 5 901 whose tabulated component
/// begins at 5 901.186552953624 (density 0 there, rising by 2e-7 over the
/// first ulp, beside a Beta's far tail of 1e-61). The upper type climbs
/// from −2e60 to 2 270 and 4 085 over the first two ulps, across the level
/// η = 3 478; the root of `Ĥ = η` stopped within its tolerance (650 ulps
/// here) at the table's first node, and the type one ulp above, with
/// `Ĥ = 2 270 < η`, got that as its virtual value: the interim allocation
/// rose from 0 to 1 009.6 over one ulp. The crossing is now the first
/// double at which the raw type reaches the level, inside the inverse, so
/// the interval's mean and slope belong to it; the allocation does not
/// rise at any double around the node, and Lemma 1 holds.
#[test]

fn the_binding_interval_ends_on_the_double_where_a_steep_type_crosses_its_level() {
    let (market, alpha) = spec_market(SPEC_HARSH_201_570_CUT);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    assert_allocation_falls_around(&mech, 1, 5_901.186_552_953_624, 16);
    check_feasibility(&mech).unwrap();
}

/// A class's distribution that counts the hazard-ratio evaluations
/// (`F/f` and `(1 − F)/f`) in its first counter and the density's in its
/// second, forwarding everything else.
#[derive(Debug)]
struct CountingRatios(
    Arc<dyn EndowmentDistribution>,
    Arc<std::sync::atomic::AtomicUsize>,
    Arc<std::sync::atomic::AtomicUsize>,
);

impl CountingRatios {
    fn tick(&self) {
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl EndowmentDistribution for CountingRatios {
    fn support(&self) -> (f64, f64) {
        self.0.support()
    }
    fn cdf(&self, z: f64) -> f64 {
        self.0.cdf(z)
    }
    fn pdf(&self, z: f64) -> f64 {
        self.2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.0.pdf(z)
    }
    fn sf(&self, z: f64) -> f64 {
        self.0.sf(z)
    }
    fn log_concave(&self) -> bool {
        self.0.log_concave()
    }
    fn kinks(&self) -> &[f64] {
        self.0.kinks()
    }
    fn density_bounds(
        &self,
        a: f64,
        b: f64,
    ) -> Option<exchange_design::distribution::DensityBounds> {
        self.0.density_bounds(a, b)
    }
    fn pdf_derivative(&self, z: f64) -> f64 {
        self.0.pdf_derivative(z)
    }
    fn partial_moment(&self, a: f64) -> f64 {
        self.0.partial_moment(a)
    }
    fn mean(&self) -> f64 {
        self.0.mean()
    }
    fn second_moment(&self) -> f64 {
        self.0.second_moment()
    }
    fn variance(&self) -> f64 {
        self.0.variance()
    }
    fn cdf_integral(&self, a: f64) -> f64 {
        self.0.cdf_integral(a)
    }
    fn sf_integral(&self, a: f64) -> f64 {
        self.0.sf_integral(a)
    }
    fn quantile(&self, u: f64) -> f64 {
        self.0.quantile(u)
    }
    fn validated_by_construction(&self) -> bool {
        self.0.validated_by_construction()
    }
    fn pdf_log_derivative(&self, z: f64) -> f64 {
        self.0.pdf_log_derivative(z)
    }
    fn ln_pdf(&self, z: f64) -> f64 {
        self.0.ln_pdf(z)
    }
    fn density_and_ratio(
        &self,
        z: f64,
        which: exchange_design::distribution::HazardRatio,
    ) -> (f64, f64, f64) {
        self.tick();
        self.0.density_and_ratio(z, which)
    }
    fn cdf_pdf_ratio(&self, z: f64) -> f64 {
        self.tick();
        self.0.cdf_pdf_ratio(z)
    }
    fn sf_pdf_ratio(&self, z: f64) -> f64 {
        self.tick();
        self.0.sf_pdf_ratio(z)
    }
}

/// `market` with class `counted`'s distribution wrapped in
/// [`CountingRatios`]; the counters of ratio and density evaluations.
fn with_counted_class(
    market: &Market,
    counted: usize,
) -> (
    Market,
    Arc<std::sync::atomic::AtomicUsize>,
    Arc<std::sync::atomic::AtomicUsize>,
) {
    let (ratios, densities) = (Arc::default(), Arc::default());
    let classes = market
        .classes()
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let d: Arc<dyn EndowmentDistribution> = if k == counted {
                Arc::new(CountingRatios(
                    c.shared_distribution(),
                    Arc::clone(&ratios),
                    Arc::clone(&densities),
                ))
            } else {
                c.shared_distribution()
            };
            TraderClass::from_shared(c.kappa(), d, c.count())
        })
        .collect();
    (Market::new(classes).unwrap(), ratios, densities)
}

/// Market 12 of `ironing_search harsh 1000 161` again: the utility gains
/// of its class at z ≈ −1 129 integrate the hazard ratio over a partial
/// stretch at every query, and that integral aimed at `quad_rel` of the
/// ratio's own integral, which far from zero the doubles cannot give: the
/// rule went to its panel cap at every query (168 000 evaluations each;
/// 40 s for `check_feasibility`). It now aims at what its result is judged
/// by, `quad_rel` of the types' scale. Lemma 1 on the whole market is
/// checked with an upper bound on the ratio's evaluations in that class.
#[test]
fn the_gains_far_from_zero_integrate_the_hazard_ratio_to_what_they_need() {
    let (market, alpha) = spec_market(SPEC_HARSH_161_12);
    let (market, count, _) = with_counted_class(&market, 1);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    count.store(0, std::sync::atomic::Ordering::Relaxed);
    check_feasibility(&mech).unwrap();
    let used = count.load(std::sync::atomic::Ordering::Relaxed);
    assert!(used < 2_000_000, "{used} evaluations of the hazard ratio");
}

const SPEC_HARSH_161_5: &str = r#"{"alpha":0.3802189138714477,"traders":[{"kappa":3.629991781753953,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.37442075551113824,"distribution":{"family":"truncated_normal","mu":-9825.008977147407,"sigma":0.004857507499102077,"lo":-9825.031936962645,"hi":-9825.004473412944}},{"weight":0.7978928306524318,"distribution":{"family":"triangular","lo":-9825.004473412944,"mode":-9824.99657882983,"hi":-9824.991234547842}},{"weight":0.004608269566307535,"distribution":{"family":"truncated_normal","mu":-9825.022892407125,"sigma":0.00005639582945890578,"lo":-9825.031306615807,"hi":-9825.004384704456}},{"weight":0.39315498980806396,"distribution":{"family":"truncated_normal","mu":-9825.029029955109,"sigma":0.0007407458658084254,"lo":-9825.037808654402,"hi":-9824.99936279458}}]}},{"kappa":111.25928443144251,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.765919697039275,"distribution":{"family":"mixture","components":[{"weight":0.5409091407654705,"distribution":{"family":"truncated_normal","mu":-39.882399250402905,"sigma":4.438224513172246,"lo":-39.712732038195284,"hi":-27.894170554063138}},{"weight":0.6612913287099318,"distribution":{"family":"truncated_normal","mu":-38.24496868705209,"sigma":0.7685341944936637,"lo":-38.79624423785917,"hi":-32.799848129164594}}]}},{"weight":0.7808167513590449,"distribution":{"family":"truncated_normal","mu":-7.115714710327747,"sigma":16.756359501424114,"lo":-26.439590921148366,"hi":6.855769859895965}},{"weight":0.2130659397219044,"distribution":{"family":"beta","a":3.995661457896387,"b":1.0818934731435188,"lo":-88.36450008288938,"hi":-24.989431387401602}}]}}]}"#;

const SPEC_HARSH_161_12: &str = r#"{"alpha":0.4405441761443204,"traders":[{"kappa":0.003878553847400554,"count":3,"distribution":{"family":"beta","a":1.0,"b":26.913360440107624,"lo":0.9000080534248542,"hi":0.9783646298034869}},{"kappa":9.276112049299751,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.03669923251519405,"distribution":{"family":"truncated_normal","mu":-1128.6367097041245,"sigma":0.09295596669567485,"lo":-1129.2307688240305,"hi":-1128.3906117607867}},{"weight":0.5716835878270943,"distribution":{"family":"triangular","lo":-1129.6527748406695,"mode":-1129.5816008476293,"hi":-1129.2307688240305}}]}},{"kappa":4.386876929403763,"count":1,"distribution":{"family":"piecewise_linear","z":[-4953.60056423218,-4953.600523404787,-4953.600484826255,-4953.600450155292,-4953.600422237897,-4953.600379830697,-4953.600349223179,-4953.600334665014,-4953.60031753816,-4953.600273397084,-4953.600257085395,-4953.600215757537,-4953.600189951918,-4953.600155682532,-4953.600146336629,-4953.600117657302,-4953.600099245106,-4953.600085324158,-4953.600069746379,-4953.600061348816,-4953.600053190939,-4953.600043587858,-4953.5999999724145,-4953.599963067142,-4953.599921703611,-4953.599892650535,-4953.599874221243,-4953.599864321227,-4953.599836999298,-4953.599815366553,-4953.599787963009,-4953.599749926459,-4953.59973663421,-4953.599727571188,-4953.599686427618,-4953.599659582764,-4953.599614947747,-4953.599596197805,-4953.5995911119,-4953.599566146323,-4953.599529262708,-4953.599522961935,-4953.599481148052,-4953.599447723894,-4953.599402721765,-4953.599369636392,-4953.599330616978,-4953.599325237589,-4953.599320651711,-4953.5992845217515,-4953.599268819592,-4953.5992311864775,-4953.599185440974,-4953.599168597505,-4953.599158402889,-4953.599131234239,-4953.599085542282,-4953.599050278506,-4953.599006053761],"density":[1.143255266743513,0.00832790595340971,3.4548865068167134e-8,0.7854114013657316,1.9883949385945177,1.990955567956836,0.001229878296796301,0.3744469757905543,0.31976896174915165,1.3752451319759562,0.0011564818132577593,1.7353623082579603,1.2394986846070752,1.118885274935552,0.8577919244221934,1.8069681811924263,0.07771019532422688,1.1344298314100119,3.5138631717692555e-7,1.7451502596185575,0.3119052204980047,1.1050289960063897,0.8286209126596582,1.4645882555028364,1.559733374732666,6.958783931318645e-9,0.8043162716816126,0.4355368483342352,1.4651552726810189,0.8995042955883892,0.9490205405963503,0.36196874274175195,0.6512239104683346,0.9412453961129839,4.565819353350578e-9,0.7236277658838176,0.8727610396795862,0.000041695083644884035,1.760302649870284,1.22585835404033,1.5027802847118812,0.00003931277738780373,1.4627031353604465,0.8454227767341929,0.5957994980179044,1.9478969840108413,1.6356236346463515,0.6155028283720785,0.07333056683021545,1.0810998027179548,1.2190550171949806,0.7875430155151162,1.6053214168124383,1.609443424884319,1.6425227862403664,0.773145219285714,1.6010522268598162,0.8213014556515854,0.7819718291174867]}}]}"#;

const SPEC_HARSH_171_15: &str = r#"{"alpha":0.6704193797003464,"traders":[{"kappa":0.07687554669999717,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.9078319810952438,"distribution":{"family":"truncated_normal","mu":-5294.683788030169,"sigma":0.00002282261355160559,"lo":-5294.685994779901,"hi":-5294.683277747346}},{"weight":0.006977434775139471,"distribution":{"family":"piecewise_linear","z":[-5294.683965075575,-5294.683942775172,-5294.683849021201,-5294.683762131827,-5294.683726902089,-5294.68368758893,-5294.683644620453,-5294.683636639838,-5294.683569295166,-5294.683475623221,-5294.683436381635,-5294.68339833107,-5294.68338302306,-5294.683310534745,-5294.683249675387,-5294.683194145198,-5294.683137283042,-5294.683132057569,-5294.683102030941,-5294.683087729896,-5294.6830022887,-5294.682989005597,-5294.682958715431,-5294.682911448633,-5294.682847285939,-5294.682768730818,-5294.6827491313725,-5294.682659129428,-5294.682611878944,-5294.682584535616,-5294.682549608019,-5294.682543780713,-5294.682503094468,-5294.682441655184,-5294.6823802226245,-5294.682353810227,-5294.682274443834,-5294.68224247308,-5294.682156827633,-5294.682078840467,-5294.68203355157,-5294.681960452497,-5294.681879649303,-5294.681785907921,-5294.681715479741,-5294.681632124592,-5294.681551400844,-5294.681478152658,-5294.681446851322,-5294.681379274824,-5294.68135881222,-5294.681350447748,-5294.681322233161,-5294.681263610449,-5294.68119169804,-5294.681127565093,-5294.681067553964,-5294.681051702606,-5294.6810302867725,-5294.680959830112,-5294.680905539136,-5294.680894423608,-5294.680806731339,-5294.68077433771,-5294.680760651661,-5294.680716894254,-5294.6806699925155,-5294.680594728224,-5294.680572353381,-5294.680535190167,-5294.680513233527,-5294.680495506506,-5294.680413568893,-5294.680383883031,-5294.680356841415,-5294.680293995501,-5294.680271670314,-5294.680263128458,-5294.680169624394,-5294.68009577136,-5294.680090498347,-5294.6800145635025,-5294.6799821781615,-5294.679952782685,-5294.679928775225],"density":[1.8039865214992683,0.030055156911064293,0.0006864434061487651,0.418900033779637,0.9207014234073305,1.136614432952568,1.48209298761999,0.534380597723769,1.1943273445608706,7.71274873907476e-7,1.091454657801444,7.618283030069113e-7,2.2359959252029218e-7,1.588408338019441,0.000022484049693040874,4.889028723358054e-6,1.429416252316863,1.3859978678905545,0.3214831680631969,0.8795504259150304,1.6630265423734418,1.812287464535837,1.931020252095918,1.1479794853909525e-7,0.017297140020377175,1.2192937800719257,0.9595092158472138,0.7634713284251078,1.30465421227615,0.023527243689313315,1.6713329198176043,1.59234426798476e-7,1.6040136103708833,0.00007993300244521117,1.4679598968232128,1.1319323986437742,0.914256683101137,1.7626585136430162,1.2099525683945271,0.1281890865799303,0.9875776992392113,2.862112525617237e-6,0.03474964677462452,1.9217441491281213,0.3280691183906777,0.005736491355115093,0.733307946650239,1.308158481489044,1.7332884780625004,1.7358997540583538,0.39734999502376606,0.00007074299394469256,0.000295551064511481,0.00011615507251584953,1.272404978258061,0.0012669464931988545,5.758212965465598e-7,0.015244012897383969,1.4885593332049403,0.008862442328473354,6.983638810084419e-7,0.3150047967049992,1.897418532511869,1.858324362745035,2.0287076861258978e-6,0.5129765425174384,0.640469244845669,1.1995206504917844,1.2476135356012168,1.8657326799753051,0.000019347602738904776,0.013472116856955733,1.70302069681172,1.1033664524021683e-8,0.008417650546522732,1.9984336818894517,0.43770835485381715,0.4478977034318785,1.6241322321174867,1.0073514317970578,0.7336816188078386,6.198787018057847e-9,0.007576541996037847,1.5172773324655924,1.4681553619887748]}}]}}]}"#;

/// Market 25 of `ironing_search harsh 3000 171`, cut to two of its
/// classes: a triangular 0.006 wide at z = 5 735 (κ = 0.011) beside a
/// uniform near −1. Its utility gain at a type 4.3e-10 above the support's
/// lower end integrates `(1 − F)/f` over a stretch 88 floats wide, no
/// wider than the adaptive rule's narrowest panel, where the ratio falls
/// by a fifth; with its nodes on the nearest doubles the rule's estimate
/// cannot get below 1.7e-13 of the types' scale, and the query failed
/// ("the integral of (1 − F)/f reached 1.7e-13, short of 1e-13"). What
/// the doubles resolve there, a float times the ratio's variation, is
/// now part of what it needs. The gain at that type is answered, and
/// Lemma 1 holds: the envelope condition, whose integral of the allocation
/// `check_feasibility` computes by its own adaptive rule, agrees with the
/// gains built from the integrals of `V`. (A fixed Gauss–Legendre rule
/// cannot serve as the reference here: the upper type runs out of the
/// ratio's pole at the support's end, 3.5e-10 below the binding interval.)
#[test]
fn a_stretch_no_wider_than_the_narrowest_panel_is_integrated_to_what_floats_resolve() {
    let (market, alpha) = spec_market(SPEC_HARSH_171_25_CUT);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let gain = mech.utility_gain(1, 5735.359260032358).unwrap();
    assert!(gain >= 0.0, "{gain}");
    check_feasibility(&mech).unwrap();
}

const SPEC_HARSH_171_25_CUT: &str = r#"{"alpha":0.15291864694790813,"traders":[{"kappa":263.6891848033968,"count":4,"distribution":{"family":"beta","a":1.0,"b":1.0,"lo":-1.1603963289553136,"hi":-0.47876859560756324}},{"kappa":0.011217879870332138,"count":3,"distribution":{"family":"triangular","lo":5735.359260031928,"mode":5735.363809829851,"hi":5735.36503652906}}]}"#;

/// Class 1 of `ironing_search harsh 3000 171` market 0 (a Beta with
/// `a = 18` whose lower end holds masses down to 1e-80, and a narrow
/// normal), beside a uniform class. The mesh integrates each cell's mass
/// and moments to `quad_rel` relative to themselves, but deep in the tail
/// the density is an exponential of an argument near −170, rounded to
/// about `ε · 170` relative, close to `quad_rel`; the rule went to its
/// panel cap on 2 768 cells of that market. The cells are now asked no
/// finer than the density's own rounding, and the quadrature sets aside
/// a panel whose error is only where the doubles put its nodes (at the
/// Beta's very end, a node's rounding moves `(z − lo)^17` by 1e-7
/// relative). Checked: an upper bound on the density's evaluations in the
/// solve (352 000; 154 million before, 70 million with the floor alone),
/// and Lemma 1.
#[test]
fn a_far_tail_is_integrated_no_finer_than_its_density_is_computed() {
    let (market, alpha) = spec_market(SPEC_HARSH_171_0_CUT);
    let (market, _, densities) = with_counted_class(&market, 0);
    let mech = OptimalMechanism::solve(&market, alpha).unwrap();
    let used = densities.load(std::sync::atomic::Ordering::Relaxed);
    assert!(used < 5_000_000, "{used} evaluations of the density");
    check_feasibility(&mech).unwrap();
}

const SPEC_HARSH_171_0_CUT: &str = r#"{"alpha":0.7804555586832111,"traders":[{"kappa":0.006346763377319837,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.8201600209537045,"distribution":{"family":"beta","a":18.11562180636244,"b":33.51155730209282,"lo":-0.529743122882014,"hi":-0.5179457309481216}},{"weight":0.0023131204554864998,"distribution":{"family":"truncated_normal","mu":-0.5230006652038915,"sigma":7.093390140864759e-05,"lo":-0.5243938630981841,"hi":-0.5187257246678071}}]}},{"kappa":1.0,"count":2,"distribution":{"family":"uniform","lo":-1.0,"hi":1.0}}]}"#;

/// Market 1858 of `ironing_search harsh 3000 191`, whole.
const SPEC_HARSH_191_1858: &str = r#"{"alpha":1.0,"traders":[{"kappa":0.11593899233252301,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.2814299065944328,"distribution":{"family":"uniform","lo":1364.6712626546937,"hi":1364.7335389751927}},{"weight":0.24324490492421802,"distribution":{"family":"uniform","lo":1364.5436212477966,"hi":1364.6712626546937}}]}},{"kappa":0.08162057793403697,"count":2,"distribution":{"family":"piecewise_linear","z":[-1.7318022282167254,-1.7056642355226748,-1.6743765688796213,-1.5711787291187642,-1.5550805111599775,-1.4602059579882067,-1.3706796877501128,-1.3475094730641937,-1.218687554132251,-1.1197645175588347,-0.9975465516533673,-0.9087526942760815,-0.8089540685537525,-0.6933523286942478,-0.6355522483471907,-0.5326056241738755,-0.4510062720514374,-0.4135978033298273,-0.3435357127230745,-0.290891100496129,-0.2710037065329738,-0.1588111319236083,-0.12902022449629902,-0.06291460348300038,0.06479653222131043,0.14780393358557942,0.2786461156964213,0.39974302640746395,0.4208268483796871,0.5004263093814971,0.5291434192795761,0.5954091421836571,0.6437792324151876,0.7061563638684365,0.8341330795335729,0.9367507040444452,1.0782388213218945,1.0873306406104974,1.1136340354844478,1.1775199016264766,1.2223048984479574,1.2441702518541347,1.2740621116039585,1.3638395214275112,1.392108518388041,1.5273728731866958,1.6398554441374935,1.687971400214318,1.7857485592758107,1.8613726834467446,1.939804377018034,2.0706168991548424,2.129420190370068,2.2074902222894783,2.236938657467622,2.3008434733018595,2.4220659048155166,2.4655182590426765,2.5562723008036237],"density":[0.8213859181047845,0.0003155140265504451,0.0037043504786478543,2.638685576050131e-09,0.0798099926665133,0.7893557875174662,3.959279465225562e-09,1.7730310178127826e-05,0.8351335904946653,0.050500509503642224,1.4191236542647114,0.7026022948374271,1.5285808103895882,0.31224158697194465,0.5182704141314151,1.00622325834162,0.951295244790298,0.0029337465414570065,0.9178668872886571,0.001024686864568107,0.7607619749034916,0.35751503024670667,1.6555851419628835,1.1213402221279751,0.012472513655862385,1.794266952061163,1.8225712493729787,1.1580839388699811e-06,0.025660960773366954,1.816348416979361,0.6871945357657961,9.236358078789645e-08,1.688045013360359,1.5436348999015053,1.644218825514731e-05,9.107145155577702e-07,1.842171803355692,0.11050184930976172,1.0341183903455227,1.1367325458339395,2.7985458189991814e-09,0.5863599838227577,0.7134055301618937,0.3676173204791536,1.9112552148239514,7.330912356435849e-09,8.351681346715364e-09,0.0001530025999665898,1.0698486107150136,0.00019310584355503672,9.355639112702049e-06,1.5605987456317512,1.3219867231683453,1.7925567553604123e-08,0.000166116395337088,0.10397429210545256,9.846822913151525e-06,0.8402223231474502,0.031851117447302915]}},{"kappa":17.69983052256375,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.7398253829814785,"distribution":{"family":"truncated_normal","mu":6010.449146577454,"sigma":0.0002710655127604033,"lo":6010.441966127678,"hi":6010.486890012228}},{"weight":0.5361476480719682,"distribution":{"family":"truncated_normal","mu":6010.458116537173,"sigma":0.014895252397648303,"lo":6010.41166249511,"hi":6010.503326634853}},{"weight":0.009531583553650162,"distribution":{"family":"beta","a":1.0,"b":1.0,"lo":6010.439930482473,"hi":6010.553935175947}},{"weight":0.7114962831917457,"distribution":{"family":"triangular","lo":6010.502801468449,"mode":6010.536473481875,"hi":6010.572709876831}}]}}]}"#;

/// Market 2588 of `ironing_search harsh 3000 211`.
const SPEC_HARSH_211_2588: &str = r#"{"alpha":1.0,"traders":[{"kappa":37.667200215435315,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.44860828214513915,"distribution":{"family":"truncated_normal","mu":2373.8726127253335,"sigma":0.005976005641230055,"lo":2372.3248658258817,"hi":2373.9229829310975}},{"weight":0.7446516867601631,"distribution":{"family":"truncated_normal","mu":2374.429633301522,"sigma":0.4831346770026154,"lo":2373.3522743280105,"hi":2374.5213343059686}}]}},{"kappa":0.009880712794526163,"count":2,"distribution":{"family":"truncated_normal","mu":5041.693382919941,"sigma":0.06313713659533138,"lo":5041.5943442915595,"hi":5041.84999414847}},{"kappa":0.01281380236317781,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.5442271254941475,"distribution":{"family":"mixture","components":[{"weight":0.47947360011561807,"distribution":{"family":"uniform","lo":1640.952682017546,"hi":1640.9550469850437}},{"weight":0.6586340750661417,"distribution":{"family":"triangular","lo":1640.952741154879,"mode":1640.953505779202,"hi":1640.953781859518}},{"weight":0.14497041943360414,"distribution":{"family":"truncated_normal","mu":1640.9539114748723,"sigma":0.002729261870227543,"lo":1640.95132797901,"hi":1640.9545350575968}}]}},{"weight":0.7763189472168686,"distribution":{"family":"beta","a":1.0,"b":7.253904220938791,"lo":1640.9549725073773,"hi":1640.9555272719008}},{"weight":0.7174777347957939,"distribution":{"family":"beta","a":54.997913038346596,"b":8.5609121368986,"lo":1640.954856160905,"hi":1640.9560525553607}}]}},{"kappa":0.012750665294067074,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.28648966553151345,"distribution":{"family":"beta","a":5.843886411976007,"b":1.3746403827881817,"lo":-9117.750485460516,"hi":-9117.747645916485}},{"weight":0.7284999454013412,"distribution":{"family":"beta","a":1.0,"b":65.37971250071905,"lo":-9117.74921420258,"hi":-9117.747679150027}},{"weight":0.6140768803207406,"distribution":{"family":"uniform","lo":-9117.751608126098,"hi":-9117.748205745032}},{"weight":0.2647729025343802,"distribution":{"family":"mixture","components":[{"weight":0.6246825672377048,"distribution":{"family":"beta","a":2.3308066534470484,"b":22.58344225493231,"lo":-9117.749394967543,"hi":-9117.747425624857}},{"weight":0.046700287492188054,"distribution":{"family":"beta","a":37.084562801859285,"b":1.0,"lo":-9117.748239246945,"hi":-9117.74795508649}},{"weight":0.8404137049940281,"distribution":{"family":"triangular","lo":-9117.749976355219,"mode":-9117.749859036421,"hi":-9117.749394967543}},{"weight":0.6036052684304412,"distribution":{"family":"truncated_normal","mu":-9117.750616292142,"sigma":0.00018107931203779342,"lo":-9117.751232572477,"hi":-9117.74939230885}}]}}]}}]}"#;

/// Market 1487 of `ironing_search harsh 3000 211`, its classes 0 and 3.
const SPEC_HARSH_211_1487_CUT: &str = r#"{"alpha": 0.8903664872717377, "traders": [{"kappa": 0.0012444282162184272, "count": 1, "distribution": {"family": "mixture", "components": [{"weight": 0.3802803985005673, "distribution": {"family": "beta", "a": 1.0, "b": 40.70136239238904, "lo": 4960.527958866313, "hi": 4960.538492162456}}, {"weight": 0.2288722058112021, "distribution": {"family": "piecewise_linear", "z": [4960.529106751101, 4960.5292517336375, 4960.529352041684, 4960.529491988008, 4960.52956574758, 4960.52966055878, 4960.529758699266, 4960.529821738708, 4960.5298652093215, 4960.5299493305365, 4960.53006486308, 4960.530203282099, 4960.53033754477, 4960.530448659965, 4960.530458287429, 4960.530604828178, 4960.530750283943, 4960.530767471156, 4960.530790352513, 4960.530929667949, 4960.530971624537, 4960.53112587304, 4960.531250739875, 4960.53136046771, 4960.531484069342, 4960.531555712864, 4960.531673642047, 4960.531790029858, 4960.531887676859, 4960.531989409198, 4960.53211115127, 4960.532223768736, 4960.532360853056, 4960.532435600907, 4960.532504905136, 4960.5325301895755, 4960.532643304747, 4960.532721256069, 4960.532793887752, 4960.532897096863, 4960.532913806832, 4960.532970747515, 4960.532982179966, 4960.533034094815, 4960.5331349707585, 4960.533174534475, 4960.533293054242, 4960.533358358072, 4960.53345987265, 4960.533469297694, 4960.533514413083, 4960.533568293045, 4960.53360047375, 4960.533617324018, 4960.533674916106, 4960.533791338438, 4960.533884303323, 4960.533904637561, 4960.53398435869, 4960.534014802418, 4960.53403354581, 4960.534148444032, 4960.534181389767, 4960.534270334863, 4960.534366084925, 4960.534487874772, 4960.534584131568, 4960.534599208415, 4960.534686278642, 4960.534714047093, 4960.534736833543, 4960.5347632491375, 4960.5348012028835, 4960.534912020362, 4960.534925552966, 4960.5349413509575, 4960.534955222148, 4960.535021556597, 4960.535121434317, 4960.53519030923, 4960.535270337205, 4960.535299995249, 4960.5353716529935, 4960.535520563735, 4960.535647289997, 4960.535778912342, 4960.53593029843, 4960.535956008631, 4960.53601871915, 4960.536152788814, 4960.53618221583, 4960.5361988566765, 4960.5363142489, 4960.536366098692, 4960.536517523419, 4960.536563599045, 4960.536637972665, 4960.536732961811, 4960.536821553093, 4960.536842389814, 4960.536872922201, 4960.536914179859, 4960.537011313518, 4960.537080090876, 4960.537175211854, 4960.537227063253, 4960.537335286727, 4960.537377108681], "density": [7.747791654180561e-07, 1.5644203179570684, 1.4788299727260927, 1.7088159344347336, 0.7072951702344896, 1.8321714495890338, 1.1855269372357948, 1.63535085679611, 1.2120478675845376, 1.927932916204284, 1.908438759964531, 2.227277896369863e-07, 1.0199836160724924, 5.51146541225059e-07, 9.504820237952096e-06, 5.4243084467032736e-05, 0.3266441802443956, 0.9021194520848526, 1.2403873261347762, 3.495561032329225e-08, 1.2861483815276995, 1.0253662845633806, 0.6520672953837969, 1.0515028148999337, 8.384864103380046e-05, 2.0134140734548713e-09, 0.37447132660796045, 0.11408806084808219, 1.0606509480726438, 0.00015996921343946287, 0.5217784125718223, 1.6826552945010893, 0.013026678648773922, 2.0008359087771584e-07, 2.4781427392587465e-08, 1.6858935566302513, 1.608039204453665, 1.843979015681265, 0.5879058520824929, 0.8858523297603813, 0.697914710674578, 1.2983398656103904, 1.3837837849183456, 1.2822486860006226e-06, 1.3838266913795416, 0.002775085111885402, 0.9501621562762381, 0.9217278734998247, 1.4368009535741926, 1.3299758604682694, 1.9830756199655852, 0.9533942098850452, 0.0008687332939716833, 1.3712538916951096e-06, 0.6231231037799195, 0.9030150825996883, 1.8880551425882803, 1.3974383196300975, 0.6741009299848391, 0.00047929142791739516, 3.767612693261825e-08, 0.09691812417696268, 1.81236903763753, 1.0692315512705305e-06, 0.8287120881682373, 0.3745664968559524, 1.2193699188568379, 0.5369570543299936, 0.07801215105279609, 1.495397447413587, 1.6010492104747085, 0.9217329792243425, 0.3615373376502984, 1.65560949003145, 0.0005801099317595945, 1.3565494180299396, 0.9033092099385691, 0.9400121772422725, 1.0156738697014416, 1.999107096023058, 3.83031770103117e-06, 0.9106930648274072, 1.84894577269507, 5.489886638679252e-08, 1.5298528012867498, 0.9894000323096697, 0.5747002346103276, 1.4481829282160683, 0.9579961591697979, 0.3584219998496311, 2.895258657845176e-05, 0.10829183126122825, 0.3383265860669933, 1.028958660960771, 1.4288698288732882, 1.5141035267909972, 2.834791298138338e-05, 1.4501430341981016, 0.6054151825943979, 1.2160204346220458, 2.543265961938862e-09, 0.9130525027361369, 2.5824616720145524e-08, 1.7445514284203747, 1.7191630175859318, 0.009965894900705399, 1.4531739852204189, 8.831193474704704e-07]}}]}}, {"kappa": 138.16521797599432, "count": 4, "distribution": {"family": "mixture", "components": [{"weight": 0.8209207318283234, "distribution": {"family": "mixture", "components": [{"weight": 0.4712671107697181, "distribution": {"family": "uniform", "lo": -327.22302314208446, "hi": -13.039281758378934}}, {"weight": 0.5176029835630025, "distribution": {"family": "truncated_normal", "mu": -190.18819863010583, "sigma": 2.280735650305093, "lo": -315.28311594183765, "hi": -70.47949558943617}}]}}, {"weight": 0.03984597860887877, "distribution": {"family": "truncated_normal", "mu": 403.3084768377996, "sigma": 22.992040218435672, "lo": 108.89911343781444, "hi": 676.7765107108922}}, {"weight": 0.012180950290556894, "distribution": {"family": "truncated_normal", "mu": -133.17206278644812, "sigma": 1.660259657505508, "lo": -733.7986358277744, "hi": -96.70925924196456}}]}}]}"#;

/// Market 49 of `ironing_search harsh 3000 201`.
const SPEC_HARSH_201_49: &str = r#"{"alpha":1.0,"traders":[{"kappa":24.161125951153547,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.7144223798940437,"distribution":{"family":"uniform","lo":4332.79269216562,"hi":4334.970122819774}},{"weight":0.707937596419639,"distribution":{"family":"uniform","lo":4332.812774219896,"hi":4333.523616564295}},{"weight":0.9813005375706689,"distribution":{"family":"beta","a":17.91739803240345,"b":34.51982062267098,"lo":4334.4637867308475,"hi":4336.2407810624945}}]}},{"kappa":0.00540986589196833,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.3730726409578067,"distribution":{"family":"truncated_normal","mu":8060.635205765461,"sigma":0.01659445020526466,"lo":8060.526381742098,"hi":8061.1550963047775}},{"weight":0.21005665900699225,"distribution":{"family":"truncated_normal","mu":8060.511673797935,"sigma":0.145027517426587,"lo":8060.301004470058,"hi":8060.825037598728}}]}},{"kappa":0.0052798519071750325,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.258058456564591,"distribution":{"family":"truncated_normal","mu":-0.5964197080824684,"sigma":0.00008951163503152264,"lo":-0.6350470716163504,"hi":-0.5933166036661003}},{"weight":0.002821719544056846,"distribution":{"family":"beta","a":1.0,"b":107.08598493960494,"lo":-0.642922816901914,"hi":-0.6206637313121817}}]}},{"kappa":0.1087340623615582,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.050769445863191966,"distribution":{"family":"truncated_normal","mu":4277.1943318711055,"sigma":0.000017316890774147313,"lo":4277.1940890506285,"hi":4277.194993008523}},{"weight":0.3832136897053178,"distribution":{"family":"piecewise_linear","z":[4277.194478718367,4277.1944814719045,4277.194485842535,4277.194490940788,4277.19449262492,4277.194494318684,4277.194496620736,4277.194500008193,4277.194500481034,4277.194503097842,4277.1945061478145,4277.194510679302,4277.19451592659,4277.194520701032,4277.194521443505,4277.194524194918,4277.194528969413,4277.194531148476,4277.194535057601,4277.194539867357,4277.194540887823,4277.194544397198,4277.194545918972,4277.194550674811,4277.194551849695,4277.1945525456795,4277.1945548131525,4277.194559468226,4277.194564648177,4277.194565456925,4277.19456573629,4277.194569146997,4277.194573415041,4277.19457731104,4277.194578757521,4277.194580545138,4277.194583320683,4277.1945843819785,4277.19458853374,4277.194590186385,4277.194594764369,4277.194596526382,4277.194596839782,4277.19460214178,4277.1946049733215,4277.194609736349,4277.194614577469,4277.194617755862,4277.1946193227,4277.1946224162175,4277.194623090233,4277.194624705004,4277.1946275194005,4277.194630871398,4277.19463561693,4277.194636239893,4277.194639822403,4277.194644645979,4277.194649547453,4277.194653389929,4277.194653845619,4277.194658025281,4277.194660027135,4277.194664895477,4277.194665768697,4277.194669122494,4277.194673807188,4277.19467524507,4277.194679746957,4277.194685062749,4277.194685633663,4277.194687259276,4277.194688340848,4277.194691371264,4277.194693166531,4277.194697370308,4277.194700996492,4277.19470524301,4277.194709709629,4277.194712663179,4277.194715695316,4277.1947181180985,4277.194721502054],"density":[1.6975797195280908,0.8598346953415177,1.1364169238782764,0.00032646446465434245,0.0862507263068785,1.480335480030912,0.617557177648645,0.5017576264231157,0.606037053088375,0.7734599283895902,1.156043881883523e-6,1.4183105048556164,2.413516776962637e-7,0.5508912904077353,1.3625246916177682,0.6266955979211875,0.5300585996867638,0.7022405268888019,1.7953604526900127,1.5666457576807629,0.8142772967068048,0.006575533760034211,1.523269979778388,0.734235809331875,1.557232298908578,1.6281399992410077,1.5898521654199707,0.6540727987646549,1.5783477235166559,1.385798978276263,1.7260139804799344,1.5642820237510224,0.4438785458333889,1.1981671887482355,1.3833274447011343,1.1529990933723897,0.7465213749223838,0.9856084316491953,1.2998488079189928e-7,6.962245627514738e-7,1.5810317508469351,1.5859303344846916,0.000020175219899144896,1.6162873512978175,0.4394513516182914,1.3691580834781916,0.9740993630904053,1.886526478771465,3.7745111037082636e-8,0.7461353508527506,1.7101308826654387,1.7881094116241223,0.09495906977469346,2.5189109646975724e-9,0.7186808736953098,1.6812401445922434,0.47725304801264795,0.00004315641043051005,0.30472206289660114,0.5968852039245296,0.5042572056201173,8.48087669262457e-6,0.002843397150501961,0.006602826203790874,1.7705494895674059,0.986778112262799,1.920631072144164,1.0034444328166672,0.12584342378236887,1.2566171639024557,0.8395571304245655,1.956744252432505,0.0006797325564742968,1.7327388078487564,0.6362524546891485,1.6680351592733673,1.7365719753090545,1.5934136642549586,0.0004330822021721538,1.402691825993455,0.6695716680532446,1.924227923922561,0.00028894486825894073]}}]}}]}"#;

/// Market 10718 of `ironing_search ordinary 20000 261`.
const SPEC_ORDINARY_261_10718: &str = r#"{"alpha":0.051777624075073136,"traders":[{"kappa":0.6670801405303212,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.03851021014437345,"distribution":{"family":"uniform","lo":-0.3186883595900716,"hi":1.8996853144279833}},{"weight":0.4577561023926527,"distribution":{"family":"truncated_normal","mu":2.3682595184600497,"sigma":0.002996566820269543,"lo":1.8996853144279833,"hi":2.8112011373197854}},{"weight":0.24282914968496475,"distribution":{"family":"piecewise_linear","z":[1.1933497643829978,1.3632684490874711,1.4808307711644475,1.5363829362548882,1.6637882314513237,1.7394092154039644,1.9072765918755206,2.072776539095454],"density":[0.5232634043023643,0.0037626062113598454,0.009147013582416106,0.11439987696727519,1.720926560318939,1.7480899661429625,0.029095837334232204,1.6145970449663531]}},{"weight":0.2822341932441731,"distribution":{"family":"truncated_normal","mu":1.3781208636218272,"sigma":0.02632493446207538,"lo":1.457146257065588,"hi":2.4946477138220677}}]}},{"kappa":2.138108753616706,"count":2,"distribution":{"family":"truncated_normal","mu":0.6851141597586432,"sigma":0.006739434658055911,"lo":0.3601673893873652,"hi":0.8634319420218035}},{"kappa":0.2119055312686134,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.8410396767190265,"distribution":{"family":"uniform","lo":-0.6660873363256995,"hi":-0.23206042199372362}},{"weight":0.33096103408991673,"distribution":{"family":"beta","a":6.340165465925036,"b":11.493247677626579,"lo":-0.9901784470554031,"hi":-0.19317459411518656}},{"weight":0.4676681378005314,"distribution":{"family":"triangular","lo":-0.49861801285255014,"mode":-0.10185576419579012,"hi":0.5301456132537072}},{"weight":0.9118392477955413,"distribution":{"family":"triangular","lo":0.3745289807444893,"mode":1.4708343096166776,"hi":1.7688863905790568}}]}},{"kappa":0.8459159919216779,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.31040858669268234,"distribution":{"family":"truncated_normal","mu":-0.9488958938813472,"sigma":0.28477896505232153,"lo":-1.342053357391871,"hi":0.35723521579898976}},{"weight":0.392751852261661,"distribution":{"family":"triangular","lo":0.06702842898736011,"mode":1.3536084068863858,"hi":2.12928989244071}}]}}]}"#;

/// Market 570 of `ironing_search harsh 3000 201`, its first two classes.
const SPEC_HARSH_201_570_CUT: &str = r#"{"alpha":0.5368070263605849,"traders":[{"kappa":0.03415497949112901,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.42057116163522185,"distribution":{"family":"uniform","lo":-18.743774922354955,"hi":16.12938000686319}},{"weight":0.7858333081621234,"distribution":{"family":"triangular","lo":-40.74419949597354,"mode":-23.151723229607388,"hi":-5.149687376448469}}]}},{"kappa":0.0326601074496384,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.006029670095112096,"distribution":{"family":"truncated_normal","mu":5901.18671168093,"sigma":9.447857350729152e-07,"lo":5901.186587378186,"hi":5901.186817529012}},{"weight":0.17970464588403143,"distribution":{"family":"beta","a":1.0,"b":31.850722049087913,"lo":5901.186560006283,"hi":5901.186699772159}},{"weight":0.5430686474444228,"distribution":{"family":"beta","a":69.2396685074212,"b":12.412672665724791,"lo":5901.186508108042,"hi":5901.187141676768}},{"weight":0.05850028681997092,"distribution":{"family":"piecewise_linear","z":[5901.186552953624,5901.186556123359,5901.1865565026255,5901.186558409275,5901.186562252081,5901.186566340529,5901.186569980396,5901.186570194339,5901.186570867769,5901.1865731284115,5901.186574896905,5901.186576163114,5901.186577401678,5901.186578524596,5901.186581575007,5901.186585556589,5901.186588125453,5901.186588658665,5901.186592713005,5901.186593247903,5901.186595328245,5901.186596979545,5901.186598673436,5901.186602714313,5901.1866065073,5901.186609578337,5901.186612274413,5901.186612665779,5901.186614747773,5901.186617886773,5901.186618940967,5901.186620725329,5901.186621271736,5901.186623014588,5901.186623399495,5901.1866236293245,5901.1866269729,5901.18662763906,5901.186631034458,5901.186632744753,5901.186634814778,5901.186637808192,5901.186639300643,5901.18664224079,5901.186645351867,5901.186648347722,5901.186650709609],"density":[0.0,0.733322267331384,1.824715673968965,1.1035890736920588,1.2443368399707815,1.5627629615172807,0.5143242319278585,0.671173280938447,4.385966513470427e-07,1.030418716178407,1.9840134695824696,0.3030246587132517,1.8579667896698486,1.8733070049780655e-08,4.8771443903879484e-06,1.8135123211887278,0.3405862140571801,1.1696222414813702,1.1717072449496182,1.4459627741084657,1.6221290896722687,1.4473315824274042,1.1466284656947696,1.822679085109665,0.8977730795894934,1.8594718113233912,1.5697344200696698e-07,1.3236721466371524,1.1953188671697141,0.34664350803980815,0.39239441125985874,0.7567083450257301,0.7355198894991288,1.2039040573539914,1.6897308701034413,1.9914729140343563,1.3622972732162346,0.38896167419902994,0.5372141970054749,0.6901079806083007,0.8532388224321281,1.3787103050759364,1.936693035452583,1.685773172599658,0.4466594406802338,1.7059494093604743,1.1326427345996914]}}]}}]}"#;

/// A mechanism whose allocation steps up over the last double before a
/// kink of the density: the optimal one, with the allocation at that one
/// type lowered by `step`.
struct StepBeforeKink<'a> {
    inner: &'a OptimalMechanism,
    kink: f64,
    step: f64,
}

impl DirectMechanism for StepBeforeKink<'_> {
    fn market(&self) -> &Market {
        self.inner.market()
    }
    fn revenue(&self) -> f64 {
        self.inner.revenue()
    }
    fn efficiency(&self) -> f64 {
        self.inner.efficiency()
    }
    fn interim_allocation(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        let x = self.inner.interim_allocation(class, z)?;
        Ok(if z == self.kink.next_down() {
            x - self.step
        } else {
            x
        })
    }
    fn interim_second_moment(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        self.inner.interim_second_moment(class, z)
    }
    fn interim_transfer(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        self.inner.interim_transfer(class, z)
    }
    fn utility_gain(
        &self,
        class: usize,
        z: f64,
    ) -> Result<f64, exchange_design::mechanism::MechanismError> {
        self.inner.utility_gain(class, z)
    }
}

/// Lemma 1's check looks at the last double before each kink of the
/// density as well as at the kink: an allocation that rises over that one
/// ulp (what a fall of the virtual type at a component's end gives, as in
/// `a_fall_of_the_type_over_probability_the_curve_cannot_resolve_is_pooled`
/// before its fix) is reported, where a grid holding the kink alone
/// compared it only with types far below.
#[test]
fn lemma_1_sees_an_allocation_rising_over_the_ulp_before_a_kink() {
    let d = exchange_design::distribution::Mixture::new(vec![
        (
            3.0,
            Arc::new(exchange_design::distribution::Uniform::new(-1.0, 0.1).unwrap())
                as Arc<dyn EndowmentDistribution>,
        ),
        (
            1.0,
            Arc::new(TruncatedNormal::new(0.3, 0.4, -0.6, 1.0).unwrap()),
        ),
    ])
    .unwrap();
    let market = Market::new(vec![TraderClass::new(1.0, d, 3)]).unwrap();
    let mech = OptimalMechanism::solve(&market, 0.6).unwrap();
    check_feasibility(&mech).unwrap();
    let kink = 0.1;
    let step = 1e-6;
    let stepped = StepBeforeKink {
        inner: &mech,
        kink,
        step,
    };
    match check_feasibility(&stepped) {
        Err(exchange_design::mechanism::FeasibilityViolation::AllocationIncreasing {
            z_low,
            z_high,
            ..
        }) => assert_eq!((z_low, z_high), (kink.next_down(), kink)),
        other => panic!("{other:?}"),
    }
}

/// Market 17892 of `ironing_search ordinary 20000 281`; see
/// `a_pool_seeded_beside_a_stretch_without_probability_settles_to_its_mean`.
const SPEC_ORDINARY_281_17892: &str = r#"{"alpha":0.0,"traders":[{"kappa":1.7745107771845794,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.48252347985841615,"distribution":{"family":"truncated_normal","mu":-0.5279274590106463,"sigma":0.09479441748357742,"lo":-0.5923852891310402,"hi":-0.12059400276618504}},{"weight":0.7363310977394837,"distribution":{"family":"truncated_normal","mu":-0.9357879126658429,"sigma":0.0031570271038932943,"lo":-1.0844397697613517,"hi":-0.3019014645304925}},{"weight":0.6256780485405234,"distribution":{"family":"truncated_normal","mu":-1.3177003779929806,"sigma":0.005148609162867869,"lo":-1.6118436755790042,"hi":-1.0844397697613517}},{"weight":0.9314698693446697,"distribution":{"family":"beta","a":1.003676324245413,"b":1.0,"lo":-0.8745111350197899,"hi":-0.5395039548061616}}]}}]}"#;

/// Market 908 of `ironing_search harsh 3000 201`; see
/// `a_gain_far_from_zero_is_as_accurate_as_the_spread_of_the_types`.
const SPEC_HARSH_201_908: &str = r#"{"alpha":0.1867470155874026,"traders":[{"kappa":660.7663604554501,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.44582939910943176,"distribution":{"family":"uniform","lo":-6262.132017771729,"hi":-6262.130468520119}},{"weight":0.8884562026667646,"distribution":{"family":"beta","a":6.528892910605749,"b":4.667598596389974,"lo":-6262.132541031005,"hi":-6262.130647046671}},{"weight":0.35498763345327966,"distribution":{"family":"truncated_normal","mu":-6262.13105882246,"sigma":0.000028528693516606602,"lo":-6262.131442802271,"hi":-6262.130960695434}},{"weight":0.001558925380464451,"distribution":{"family":"truncated_normal","mu":-6262.132066881807,"sigma":4.462251685638893e-6,"lo":-6262.1319586109985,"hi":-6262.130227569378}}]}}]}"#;

/// Market 657 of `ironing_search harsh 3000 211`; see
/// `a_level_far_beyond_its_types_settles_within_its_own_ulps`.
const SPEC_HARSH_211_657: &str = r#"{"alpha":1.0,"traders":[{"kappa":0.038249360115612925,"count":5,"distribution":{"family":"piecewise_linear","z":[-12.75741396739058,-12.356851991400465,-12.205730805445564,-11.980763041919605,-11.65133980725672,-11.578351069181359,-11.207969098080206,-10.908261507185909,-10.84737192795443,-10.463089730801359,-10.242495675601482,-9.895723149553502,-9.688737817282586,-9.265723920232077,-8.815712279995179,-8.69394826935148,-8.341300500604449,-8.226128469620846,-7.8452414655495,-7.7512115386765235,-7.400035461854717,-7.340881826180267,-7.221282950157628,-7.039240954087037,-6.7020528917396955,-6.415163515259015,-6.043961944738923,-5.830043086585864,-5.433781190283623,-5.132958385524597,-4.77736436873129,-4.495417382770988,-4.038269645447036,-3.6530525411983383,-3.510224947322426,-3.458125003632638,-3.1759080263309247,-3.074967356136291,-3.047846625952774,-2.7389468915134714,-2.32411201301562,-1.8876402389182143,-1.4608026419281117,-1.0450754398481639,-0.998008536632538,-0.9504831357760644,-0.8644960138092532,-0.6361509760155251,-0.3923513020350917,-0.2899278212920535,-0.04967928187673998,0.2563771394811294,0.47300839161177954,0.889640759458695,1.062733083650464,1.491317721023373,1.939035743642627,2.106702705146038,2.1662898189343114,2.5752250445018188,3.031454971894277,3.4043040789111068,3.834698263921176,4.027216686030741,4.484467477876258,4.805134459766304,5.042423832337313,5.474497060655686,5.866599285651034,6.083424482260945,6.376000178144523,6.493124807147158,6.705252464334976,7.050240495538539,7.21329265327185,7.448066264095264,7.47628629275308,7.633564041876205,7.749775021432722,7.840036581215017,8.028662574281942,8.371924390541075,8.523374788560716,8.845956202259618,9.274022962060013,9.367588332594188,9.448497244642617,9.628267003314871,9.77892037202507,9.988442779831342,10.426489632477846,10.486183308340326,10.827474711429875,11.048251275724802,11.469849855808853,11.836947964114309,12.258948712976423,12.636739855051339,12.730780714067578,12.797813416972755,12.841020338502709,13.011844363367558,13.08114872512073,13.531051080987506,13.712588120989608,13.926672587513284,14.116587317151478,14.285938355844102,14.381151209167072],"density":[0.0,3.27299123911913e-8,1.0986850768381158e-8,0.9567009171356469,0.5304133502221126,1.5585709898124473,0.005703608203524332,1.9967428806134144,0.3325348695133478,2.3768971545032215e-6,0.8040886660297986,0.9997408368530023,1.5738340500338701,0.9722893676256434,0.3727844647204279,1.6876227524060292,0.6101918724961174,1.6976941171738966,1.750149747463903,0.8884941588605249,1.3228002817300528,0.4069608462654256,0.35569234038873426,1.7671728357015013,1.463197640909517,1.3200024477629546,0.5494164580603406,1.2259692215353295,1.11844279860034,0.39867903725707676,1.5078444050260538,0.6770004569886556,1.8436885217421202,0.49930205452484383,0.0007950599277951616,0.4962261534824196,1.1359659977855487,0.034677439552922976,1.9487103139952129,1.6376413733650597,0.31812678620004137,1.152305374799299,0.6301303473397522,1.2567736588200695,1.4668902676024265,1.4506798017649591,0.4551286540408854,1.5999874729206731,0.9356141401216744,0.5249882654261351,0.9017933086646326,0.3619092826923494,0.000010682459513324463,1.9779866397202523,0.0006174091162612462,1.4223860400115938e-7,1.3247266925451098,0.9182392913577226,0.8134942011393125,1.1251415811668881,0.8231299597744257,1.071362179078889,0.4118081869912251,1.3145049652305902,1.2098662232886017,1.8473329113091201,1.9964863920188122e-8,0.38154906559882423,1.5523461373598273,1.669937742447827,1.8933599959425853,0.8812041075553143,1.5610081037101147,1.0958337613068365,1.8485359952349498,1.7154294640272423,0.9144059245172469,1.1876207349708916,4.4147695367089446e-8,1.1094115774814588,0.579651777180143,1.1540562200294313,1.2898075083785574,1.3764362412182465,1.4806877214336,0.36458284629068904,1.4442875867946454,0.3760643622025269,1.5928077972326653,0.8068620244278804,1.2819034109133984,1.7201499445791735,1.5553138743721604,0.4975008403393002,1.8689757864944894,1.9997457283492355,0.5900485518522536,1.7319413902708647,0.17903736654160546,1.2782522953413007,0.8750244344566458,1.9672853000174704,1.6002008041893905,0.4204265717258014,1.0100704719110272,0.9643523799798654,0.8194682916222917,1.7907235231437528,1.1024072464961503]}},{"kappa":288.61140567701125,"count":2,"distribution":{"family":"mixture","components":[{"weight":0.011725698417826638,"distribution":{"family":"truncated_normal","mu":2627.4208218970825,"sigma":0.39197528245214647,"lo":2625.9857088644358,"hi":2627.8265993407285}},{"weight":0.5538822098854945,"distribution":{"family":"truncated_normal","mu":2628.19720588542,"sigma":0.8861363049482811,"lo":2624.8162769610926,"hi":2629.0321274486973}}]}},{"kappa":0.06427174400296852,"count":1,"distribution":{"family":"truncated_normal","mu":-3542.6911567867414,"sigma":0.0010555461231029964,"lo":-3542.7117965209964,"hi":-3542.674805325716}},{"kappa":0.4861060306150169,"count":1,"distribution":{"family":"mixture","components":[{"weight":0.48886641574165135,"distribution":{"family":"truncated_normal","mu":-3394.4693354081955,"sigma":0.0024785308267942577,"lo":-3395.8129818636758,"hi":-3393.541936790427}},{"weight":0.6969800896748617,"distribution":{"family":"piecewise_linear","z":[-3395.6662129468923,-3395.6495058289197,-3395.648182537674,-3395.6318244910167,-3395.6189515831757,-3395.600851179828,-3395.599582504799,-3395.597454998863,-3395.594978625574,-3395.5886586614934,-3395.5682284365985,-3395.5563737301745,-3395.5440312032774,-3395.534279029567,-3395.524698091678,-3395.518365240119,-3395.5133765398664,-3395.5016711818707,-3395.4870030340307,-3395.477895534163,-3395.467977970389,-3395.46578476545,-3395.4511686085566,-3395.4432059325636,-3395.437534322363,-3395.4331419646655,-3395.4224436479567,-3395.4199319251566,-3395.406405165337,-3395.3865605382066,-3395.3810968555226,-3395.361551165084,-3395.3568787422537,-3395.345292557314,-3395.3361853150095,-3395.3209099715236,-3395.307212444927,-3395.288167458117,-3395.275862194747,-3395.2654169578364,-3395.2642008795156],"density":[0.7308036447429626,1.226130832609818,6.003636111311279e-9,0.6270224715491701,0.9464979930707849,1.632892434113386,1.1228848939940377,0.3835861485428862,1.117346957940157,1.9273411747130673,4.193460661141637e-7,0.7952477776076929,1.4560714652547644,1.516705344576676,1.229748545645629,0.03629370633628899,1.1302955244150464e-7,0.6267818909130256,0.5904389659009832,1.1392286896259334,0.9756808243505126,0.6230845947666429,1.549729678121693,0.7148529312532281,1.9871181029971292,0.8086309294301051,0.006153230509472061,0.6905390823877318,1.6666578600919573,0.6711392585238969,1.5883732938895108,1.3661644491406351e-7,5.986533405804298e-7,0.9468904670797296,1.7946453954377852,1.8057793820823769,0.713277392169562,3.6797220450975965e-7,0.3425977959546001,0.00006127708979830631,0.5305298166146852]}},{"weight":0.6663100066861044,"distribution":{"family":"triangular","lo":-3393.541936790427,"mode":-3393.541936790427,"hi":-3393.140184744687}},{"weight":0.001504537623520217,"distribution":{"family":"truncated_normal","mu":-3396.139451466721,"sigma":0.00632540807676834,"lo":-3396.9112269423554,"hi":-3395.8129818636758}}]}}]}"#;

/// Market 2675 of `ironing_search harsh 3000 211`; see
/// `a_joined_pool_too_light_for_its_mean_keeps_its_crossing_level`.
const SPEC_HARSH_211_2675: &str = r#"{"alpha":0.0,"traders":[{"kappa":0.010106117594411941,"count":5,"distribution":{"family":"mixture","components":[{"weight":0.49063561816230505,"distribution":{"family":"truncated_normal","mu":0.4427244172890431,"sigma":0.0002579802298457911,"lo":0.43899104157728536,"hi":0.4434788532261935}},{"weight":0.9992347054861506,"distribution":{"family":"beta","a":64.61812437524134,"b":5.459456298541773,"lo":0.43496231237278365,"hi":0.4449619681379029}}]}},{"kappa":0.002001060878190626,"count":4,"distribution":{"family":"mixture","components":[{"weight":0.987439991362588,"distribution":{"family":"piecewise_linear","z":[8820.86945812107,8820.869964315983,8820.870809813096,8820.871533417225,8820.871932127478,8820.872768232804,8820.872882397938,8820.873364169227,8820.873997953058,8820.874718595272,8820.874991015351,8820.875898912609,8820.876599505646,8820.876988291973,8820.877391645208,8820.878158280013,8820.878790667097,8820.879217069894,8820.879870297864,8820.880729925644,8820.880791629359,8820.881004758461,8820.88182983536,8820.882182104306,8820.882683001468,8820.882946214739,8820.88353662667,8820.88404150321,8820.884738483297,8820.885138900478,8820.88570292931,8820.886608491104,8820.887153920767,8820.887694285459,8820.888244492004,8820.888835080863,8820.889002932987,8820.889785291274,8820.89027972669,8820.890735766363,8820.890987949106,8820.891296225125,8820.891427903642,8820.891642622664,8820.891742928061,8820.892177872594,8820.89240233704,8820.89257024688,8820.892655446085,8820.89300945754,8820.893559031168,8820.894361102217,8820.89522057146,8820.895799722186,8820.89606035972,8820.896916083932,8820.897365877228,8820.897585148328,8820.898061871612,8820.898432488171,8820.899072476672,8820.899750501201,8820.900626759925,8820.901222828626,8820.90129406205,8820.90169609386,8820.902111108884,8820.902533424938,8820.903010352069,8820.903543004808,8820.904044789668,8820.904850475334,8820.90546614848],"density":[0.4132542109506546,0.9794043483568622,1.479128662044636,1.4766613283902634,1.698505343934172,1.2844503586328544,0.9906649750538772,0.9157870191759432,0.000014829866835377268,0.33475914711814003,1.973527281943546,1.9751549071794667,0.728487045557018,1.6686758422641021,1.8154486197561008,1.6798238746686214,1.622341817181254,1.6482121775622,0.8138877350336695,1.994760269864441,1.156925747944448,0.4037055458249786,0.3492506008309202,1.4840682150880884,1.6995103952346382,0.6172521082163065,1.5646695549599918,1.2303354189819335,0.4037728467555811,0.6059790651026162,0.000039129043126445324,1.8700261297287621,1.9867065213015442,0.6174752730526416,1.9015712709192971,1.9620914605462316,1.388725883014057,1.1932113984171446,1.2229905703758914,1.4434998831949286,0.8213161432294682,0.000022107632344227128,0.8550067542566027,0.7028864702959294,0.4404685397241236,1.3356568451701851,3.7409711422261696e-6,1.880079364020902,1.6357237217287497,1.1320005096191026,1.837393475977715,0.49573098893280043,0.9355781505347611,1.472439246169748,0.5695860736250614,2.9402054572931215e-9,1.1066465354972215,1.1145807976547533,0.5903163284085701,1.5686855508748565e-6,6.423471936298479e-8,1.0165901818375624,1.842348509227322,0.4640679409555025,1.8095243785990007,1.12121433896611,0.41382886064316365,0.000643925494173952,1.2430881916458152,0.33948882265194547,1.5402616569746916,8.835559186235878e-8,1.5829105779557786]}},{"weight":0.3077676848511088,"distribution":{"family":"beta","a":8.353084152275153,"b":1.0,"lo":8820.845402690195,"hi":8820.872523591352}},{"weight":0.6352479607400858,"distribution":{"family":"beta","a":4.014993041501876,"b":8.536012578241312,"lo":8820.831635969405,"hi":8820.872014123312}},{"weight":0.24296094870382545,"distribution":{"family":"truncated_normal","mu":8820.912085554886,"sigma":0.001269103112188039,"lo":8820.855730342066,"hi":8820.90857626379}}]}},{"kappa":0.8375651569731001,"count":4,"distribution":{"family":"truncated_normal","mu":6058.349163735001,"sigma":0.00021094390519523038,"lo":6058.246633397686,"hi":6058.357214112029}}]}"#;

/// Market 1420 of `ironing_search harsh 3000 311`, its first class with a
/// uniform one beside it: a mixture 7.3e-4 wide near −7 970, where a Beta
/// component (`a = 1.17`) begins inside a thinner one's lower tail, and a
/// pool of `L̂` is seeded at that start and settled outward. Its level
/// iteration stops once the level moves by less than `1e-12` of the type
/// scale (8e-9 here); the ends were those of the step before and the
/// level kept the step before's value, so the raw type just before the
/// pool stood up to 1e-8 above the pool's level and `V` fell there (by
/// 9.1e-9 at β = 0.212, the weight of that market's budget). The pool now
/// takes the final level and its ends at it. Checked: `V` of the class
/// does not fall between 200 001 evenly spaced types by more than four
/// ulps of the type scale, at that weight and at 0.2.
#[test]
fn a_settled_pool_far_from_zero_takes_the_ends_of_its_final_level() {
    let (market, _) = spec_market(SPEC_311_1420);
    let (lo, hi): (f64, f64) = (-7970.470578977414, -7970.469851183396);
    let slack = 4.0 * f64::EPSILON * lo.abs();
    for beta in [0.21206048884745354, 0.2] {
        let mech =
            OptimalMechanism::solve_unconstrained(&market, beta, &Default::default()).unwrap();
        let v = mech.class(0).virtual_value();
        let mut prev = v.value(lo);
        for i in 1..=200_000 {
            let z = (lo + (hi - lo) * f64::from(i) / 200_000.0).min(hi);
            let x = v.value(z);
            assert!(
                x >= prev - slack,
                "β = {beta}: V falls by {:e} at {z}",
                prev - x
            );
            prev = x;
        }
    }
}

const SPEC_311_1420: &str = r#"{"alpha":0.21206048884745354,"traders":[{"kappa":0.7115540568541388,"count":3,"distribution":{"family":"mixture","components":[{"weight":0.7177199269902002,"distribution":{"family":"mixture","components":[{"weight":0.49521358683405436,"distribution":{"family":"beta","a":9.258274944154557,"b":1.0,"lo":-7970.470578977414,"hi":-7970.470136842422}},{"weight":0.0020013710620339024,"distribution":{"family":"beta","a":1.1665759241945106,"b":3.146651057181906,"lo":-7970.470528709157,"hi":-7970.47048816393}}]}},{"weight":0.8923745967164887,"distribution":{"family":"triangular","lo":-7970.470297491223,"mode":-7970.470206667996,"hi":-7970.470206667996}},{"weight":0.7635418564071437,"distribution":{"family":"beta","a":1.0,"b":182.6213794493996,"lo":-7970.470384077059,"hi":-7970.469851183396}}]}},{"kappa":1.0,"count":1,"distribution":{"family":"uniform","lo":-7970.4706,"hi":-7970.4698}}]}"#;

/// Two narrow modes (σ = 0.15, means 1 apart) at α = 1: each class's pools
/// lie inside its binding interval, so the solve leaves them uncomputed
/// (`V = η` there whatever they are). Asked for inside the interval, the
/// ironed types are then ironed in full: they agree with the oracle's
/// pool-adjacent-violators on the raw type alone (a level above every
/// value, so no clamp) on 8 000 cells, at the middle of each cell away
/// from the pools' ends, and rise across the interval.
#[test]
fn ironed_types_inside_the_binding_interval_are_the_full_ironing() {
    let modes = |mu: f64| {
        let part = |m: f64| {
            Arc::new(TruncatedNormal::new(m, 0.15, -1.0, 1.0).unwrap())
                as Arc<dyn EndowmentDistribution>
        };
        exchange_design::distribution::Mixture::new(vec![
            (1.0, part(mu - 0.5)),
            (1.0, part(mu + 0.5)),
        ])
        .unwrap()
    };
    let market = Market::new(vec![
        TraderClass::new(0.7, modes(-0.1), 2),
        TraderClass::new(1.3, modes(0.15), 3),
    ])
    .unwrap();
    let mech = OptimalMechanism::solve(&market, 1.0).unwrap();
    let n = 8000;
    let edges: Vec<f64> = (0..=n).map(|k| -1.0 + 2.0 * k as f64 / n as f64).collect();
    for class in 0..2 {
        let v = mech.class(class).virtual_value();
        assert!(v.ironed_intervals().is_empty());
        let (za, zb) = v.binding_interval();
        let d = market.classes()[class].distribution();
        let lower = oracle_on(d, 1.0, f64::INFINITY, &edges);
        let upper = oracle_on(d, 1.0, f64::NEG_INFINITY, &edges);
        let mut pooled = (0, 0);
        let (mut prev_l, mut prev_h) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for k in 0..n {
            let z = 0.5 * (edges[k] + edges[k + 1]);
            if z <= za || z >= zb {
                continue;
            }
            let (l, h) = (v.ironed_lower(z), v.ironed_upper(z));
            assert!(l >= prev_l && h >= prev_h, "class {class}: falls at {z}");
            (prev_l, prev_h) = (l, h);
            // Inside a pool of the oracle, two cells from its ends.
            let flat = |o: &[f64]| k >= 2 && k + 2 < n && o[k - 2] == o[k + 2];
            if flat(&lower) && (v.lower(z) - lower[k]).abs() > 1e-3 {
                pooled.0 += 1;
                assert!(
                    (l - lower[k]).abs() < 1e-6,
                    "class {class}, L̂({z}) = {l}, oracle {}",
                    lower[k]
                );
            }
            if flat(&upper) && (v.upper(z) - upper[k]).abs() > 1e-3 {
                pooled.1 += 1;
                assert!(
                    (h - upper[k]).abs() < 1e-6,
                    "class {class}, Ĥ({z}) = {h}, oracle {}",
                    upper[k]
                );
            }
        }
        assert!(
            pooled.0 > 100 && pooled.1 > 100,
            "class {class}: {pooled:?}"
        );
    }
}

/// A warm start whose levels put a class's screen where it holds, while
/// the level solved for is where it does not (a cluster high in a uniform
/// population, whose pool changes `V`, started from a class whose level is
/// near the cluster): the class is ironed in full after the first solve of
/// the levels, which are solved again, and the mechanism is the cold
/// solve's.
#[test]
fn a_warm_start_that_misjudges_a_screen_reaches_the_cold_solve() {
    let market = clustered(0.8761, 2e-4);
    let cold = OptimalMechanism::solve(&market, 1.0).unwrap();
    let far = Market::new(vec![TraderClass::new(
        1.0,
        exchange_design::distribution::Uniform::new(0.9, 1.2).unwrap(),
        3,
    )])
    .unwrap();
    let start = OptimalMechanism::solve(&far, 1.0).unwrap();
    assert!((start.class(0).virtual_value().eta() - 1.05).abs() < 0.03);
    let warm = OptimalMechanism::solve_warm(&market, 1.0, &Default::default(), &start).unwrap();
    let (c, w) = (cold.class(0).virtual_value(), warm.class(0).virtual_value());
    assert!((cold.revenue() - warm.revenue()).abs() < 1e-12 * cold.revenue().abs());
    assert!((c.eta() - w.eta()).abs() < 1e-12);
    let (cp, wp) = (c.ironed_intervals(), w.ironed_intervals());
    assert_eq!(cp.len(), 1);
    assert_eq!(wp.len(), 1);
    assert!((cp[0].0 - wp[0].0).abs() < 1e-12 && (cp[0].1 - wp[0].1).abs() < 1e-12);
}

/// Clusters narrower than the ironing's mesh, centred on or beside its
/// points: the same market with the cluster cut off at `±12σ` (the
/// distributions differ by `e^{−72}` of the cluster's weight; the cut's
/// ends are kinks, so the mesh has points at the cluster) gives the same
/// pool and revenue. Before the pools' direct means were checked against
/// the closed-form probability, a cluster with `σ = 5e-7` at 0.625 lay
/// between two points of the mesh, its pool's level came out 0.4071 for
/// 0.4108, and revenue `4e-6` off, with no error; of 252 such markets
/// (`σ` from `1e-6` down to `1e-8`) 20 were off, all from `σ = 5e-7` down.
#[test]
fn a_cluster_between_the_meshs_points_is_pooled_where_the_closed_forms_put_it() {
    // (weight, σ, position, α)
    for (w, s, at, alpha) in [
        (1e-4, 5e-7, 0.625, 1.0),
        (1e-4, 1e-7, 0.5, 0.4),
        (1e-4, 2e-7, 0.4999999, 0.4),
        (1e-3, 1e-8, 0.75, 1.0),
    ] {
        let solve = |cut: bool| {
            let market = common::markets::cluster_beside_normal(w, s, at, cut);
            OptimalMechanism::solve(&market, alpha).unwrap()
        };
        let (whole, cut) = (solve(false), solve(true));
        let case = format!("cluster {w} × N({at}, {s}²) at α = {alpha}");
        assert!(
            (whole.revenue() - cut.revenue()).abs() <= 1e-12 * cut.revenue().abs(),
            "{case}: revenue {} against {}",
            whole.revenue(),
            cut.revenue()
        );
        let pool = |m: &OptimalMechanism| {
            m.class(0)
                .virtual_value()
                .ironed_intervals()
                .into_iter()
                .find(|&(a, b)| a <= at && at <= b)
                .unwrap_or_else(|| panic!("{case}: no pool holds the cluster"))
        };
        let (p, q) = (pool(&whole), pool(&cut));
        assert!(
            (p.0 - q.0).abs() <= 1e-9 && (p.1 - q.1).abs() <= 1e-9,
            "{case}: pool {p:?} against {q:?}"
        );
    }
}
