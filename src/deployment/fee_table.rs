//! The side payments `S_i(p, q)` of a class tabulated on a grid of prices
//! and quantities, ready to publish as CSV.

use super::DeploymentError;
use crate::implementation::SidePayments;
use crate::numerics::InvalidParameter;

/// A class's side payment on a grid of clearing prices and quantities.
///
/// # Example
/// ```
/// use exchange_design::deployment::{fee_table, FeeTable};
/// use exchange_design::distribution::Uniform;
/// use exchange_design::implementation::SidePayments;
/// use exchange_design::market::Market;
/// use exchange_design::mechanism::OptimalMechanism;
/// let m = Market::symmetric(3, 0.5, Uniform::new(-1.0, 1.0)?)?;
/// let rules = SidePayments::new(&OptimalMechanism::solve(&m, 0.5)?)?;
/// let t = fee_table(&rules, 0, &[-0.1, 0.0, 0.1], &[-0.5, 0.5])?;
/// assert_eq!(t.rows().len(), 6);
/// let (p, q, s) = t.rows()[1];
/// assert_eq!(s, rules.side_payment(0, p, q)?);
/// let csv = t.to_csv();
/// assert!(csv.lines().nth(1).unwrap().starts_with("class,price,quantity,side_payment"));
/// let auto = FeeTable::automatic(&rules, 0, 5, 4)?;
/// assert_eq!(auto.rows().len(), 20);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FeeTable {
    class: usize,
    rows: Vec<(f64, f64, f64)>,
}

/// `S_class(p, q)` on every pair of `prices` × `quantities` (prices outer).
///
/// # Errors
/// [`DeploymentError::Implementation`] for an unknown class or a non-finite
/// grid point; [`DeploymentError::InvalidConfig`] for an empty grid.
///
/// # Example
/// See [`FeeTable`].
pub fn fee_table(
    rules: &SidePayments,
    class: usize,
    prices: &[f64],
    quantities: &[f64],
) -> Result<FeeTable, DeploymentError> {
    for (name, n) in [("prices", prices.len()), ("quantities", quantities.len())] {
        if n == 0 {
            return Err(DeploymentError::InvalidConfig(InvalidParameter::new(
                name,
                0.0,
                "the fee table needs at least one price and one quantity",
            )));
        }
    }
    let mut rows = Vec::with_capacity(prices.len() * quantities.len());
    for &p in prices {
        for &q in quantities {
            rows.push((p, q, rules.side_payment(class, p, q)?));
        }
    }
    Ok(FeeTable { class, rows })
}

fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![0.5 * (lo + hi)];
    }
    (0..n)
        .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
        .collect()
}

impl FeeTable {
    /// The table on an automatic grid: `n_prices` prices evenly over the
    /// range of equilibrium clearing prices `−Σ_j V_j(Z_j)`, and
    /// `n_quantities` quantities evenly over the range of the class's
    /// equilibrium quantities at those prices.
    ///
    /// # Errors
    /// As [`fee_table`]; [`DeploymentError::InvalidConfig`] for a zero count.
    ///
    /// # Example
    /// See [`FeeTable`].
    pub fn automatic(
        rules: &SidePayments,
        class: usize,
        n_prices: usize,
        n_quantities: usize,
    ) -> Result<Self, DeploymentError> {
        for (name, n) in [("n_prices", n_prices), ("n_quantities", n_quantities)] {
            if n == 0 {
                return Err(DeploymentError::InvalidConfig(InvalidParameter::new(
                    name,
                    0.0,
                    "the automatic fee table needs at least one price and one quantity",
                )));
            }
        }
        let ends = |c: &crate::implementation::ClassSidePayment| {
            let v = c.virtual_value();
            let (lo, hi) = v.distribution().support();
            (v.value(lo), v.value(hi))
        };
        let (mut p_lo, mut p_hi) = (0.0, 0.0);
        for c in rules.classes() {
            let (v_lo, v_hi) = ends(c);
            p_lo -= c.count() as f64 * v_hi;
            p_hi -= c.count() as f64 * v_lo;
        }
        let own = rules.get_class(class).ok_or(
            crate::implementation::ImplementationError::InvalidClass {
                class,
                n_classes: rules.classes().len(),
            },
        )?;
        let (v_lo, v_hi) = ends(own);
        let w = own.kappa_share();
        let q_lo = -v_hi - w * p_hi;
        let q_hi = -v_lo - w * p_lo;
        fee_table(
            rules,
            class,
            &grid(p_lo, p_hi, n_prices),
            &grid(q_lo, q_hi, n_quantities),
        )
    }

    /// The class tabulated.
    ///
    /// # Example
    /// See [`FeeTable`].
    pub fn class(&self) -> usize {
        self.class
    }

    /// `(price, quantity, S(p, q))`, prices outer.
    ///
    /// # Example
    /// See [`FeeTable`].
    pub fn rows(&self) -> &[(f64, f64, f64)] {
        &self.rows
    }

    /// The table as CSV: a `#` line stating the units, a header
    /// `class,price,quantity,side_payment`, one row per grid point.
    ///
    /// # Example
    /// See [`FeeTable`].
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "# side payment S(p, q) owed by one trader of the class besides p*q (participation fee included); \
price in money per unit of the asset, quantity in units of the asset bought (negative = sold), side_payment in money (negative = rebate)\n",
        );
        s.push_str("class,price,quantity,side_payment\n");
        for (p, q, v) in &self.rows {
            s.push_str(&format!("{},{p},{q},{v}\n", self.class));
        }
        s
    }
}
