//! The crate's indexing convention (issue 12): `class(i)` panics out of
//! range like slice indexing, `get_class(i)` returns `None`, and methods
//! that take a class index with other input return an error. Checked on a
//! three-class market for the market itself, the mechanism, its side
//! payments and the plain double auction.

use exchange_design::benchmarks::PlainDoubleAuction;
use exchange_design::distribution::Uniform;
use exchange_design::implementation::{ImplementationError, SidePayments};
use exchange_design::market::{Market, TraderClass};
use exchange_design::mechanism::DirectMechanism;
use exchange_design::mechanism::{MechanismError, OptimalMechanism};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn three_classes() -> Market {
    let u = || Uniform::new(-1.0, 1.0).unwrap();
    Market::new(vec![
        TraderClass::new(0.5, u(), 2),
        TraderClass::new(1.0, u(), 1),
        TraderClass::new(2.0, u(), 1),
    ])
    .unwrap()
}

fn panics<T>(f: impl FnOnce() -> T) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

#[test]
fn class_panics_get_class_is_none_and_indexed_methods_return_errors() {
    let market = three_classes();
    let mech = OptimalMechanism::solve(&market, 0.5).unwrap();
    let side = SidePayments::new(&mech).unwrap();
    let da = PlainDoubleAuction::new(&market).unwrap();

    for i in 0..3 {
        assert_eq!(mech.get_class(i).unwrap().count(), mech.class(i).count());
        assert_eq!(side.get_class(i).unwrap().count(), side.class(i).count());
        assert_eq!(da.get_class(i).unwrap().count(), da.class(i).count());
        assert_eq!(mech.class(i).kappa(), market.classes()[i].kappa());
        assert_eq!(
            market.get_class(i).unwrap().count(),
            market.class(i).count()
        );
        assert_eq!(market.class(i).kappa(), market.classes()[i].kappa());
    }

    assert!(mech.get_class(7).is_none());
    assert!(side.get_class(7).is_none());
    assert!(da.get_class(7).is_none());
    assert!(market.get_class(7).is_none());
    assert!(panics(|| market.class(7).count()));
    assert!(panics(|| mech.class(7).count()));
    assert!(panics(|| side.class(7).count()));
    assert!(panics(|| da.class(7).count()));

    let err = mech.interim_allocation(7, 0.0).unwrap_err();
    assert!(matches!(err, MechanismError::InvalidQuery(_)), "{err}");
    assert!(err.to_string().contains('7'), "{err}");
    assert!(matches!(
        side.side_payment(7, 0.0, 0.0),
        Err(ImplementationError::InvalidClass {
            class: 7,
            n_classes: 3
        })
    ));
    assert!(matches!(
        da.interim_allocation(7, 0.0),
        Err(MechanismError::InvalidQuery(_))
    ));
}
