//! The Called and Calling Party Number codecs (Q.763 §3.9, §3.10) and their mapping to
//! PASSporT telephone numbers (`isup::number`).
//!
//! Input: one octet choosing a `NumberMapping` (country code, trunk prefix, area code,
//! star/hash, prefer national), then the parameter value (also read as text for the
//! reverse mapping).
//!
//! Invariants:
//! * a decoded Calling Party Number encodes to exactly the input; a decoded Called Party
//!   Number encodes to the input with the four spare bits of octet 2 cleared (they are
//!   ignored on receipt and written as 0) — nothing else may differ; both decode again to
//!   the same value; digits are at most `MAX_ADDRESS_SIGNALS` of `0-9BC`;
//! * `set_screening_in` changes the screening indicator and nothing else;
//! * a number that maps to a telephone number (`to_tn`) gives a canonical one (`Tn::parse`
//!   of it is itself), and `from_tn` of that maps back (`to_tn`) to the same telephone
//!   number; `called_to_tn`/`calling_to_tn` agree with `to_tn`;
//! * any text that `from_tn` accepts maps back to `Tn::parse(text)`, and the resulting
//!   Called and Calling Party Numbers encode and decode to themselves.
#![no_main]

use cliauth::Tn;
use cliauth::isup::number::MAX_ADDRESS_SIGNALS;
use cliauth::isup::{
    AddressDigits, CalledPartyNumber, CallingPartyNumber, NatureOfAddress, NumberMapping,
    NumberingPlan, Screening,
};
use libfuzzer_sys::fuzz_target;

fn mapping(sel: u8) -> NumberMapping {
    let pick = |opts: &[Option<&str>], v: u8| opts[usize::from(v) % opts.len()].map(String::from);
    NumberMapping {
        country_code: pick(&[None, Some("1"), Some("44"), Some("")], sel),
        national_prefix: pick(&[None, Some("0"), Some("00"), Some("")], sel >> 2),
        area_code: pick(&[None, Some("215")], sel >> 4),
        star_hash: sel & 0x20 != 0,
        prefer_national: sel & 0x40 != 0,
    }
}

fn check_digits(d: &AddressDigits) {
    assert!(d.len() <= MAX_ADDRESS_SIGNALS);
    assert!(
        d.as_str()
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'B' || b == b'C')
    );
    assert_eq!(AddressDigits::new(d.as_str()).as_ref(), Ok(d));
}

/// `to_tn` of a decoded number: canonical, and `from_tn` of it maps back to it.
fn check_mapping(
    m: &NumberMapping,
    nature: NatureOfAddress,
    plan: NumberingPlan,
    d: &AddressDigits,
) {
    let Ok(tn) = m.to_tn(nature, plan, d) else {
        return;
    };
    assert_eq!(Tn::parse(&tn).map(Tn::into_string).as_ref(), Ok(&tn));
    let (nature, digits) = m
        .from_tn(&tn)
        .unwrap_or_else(|e| panic!("{tn:?} from to_tn does not map back: {e}"));
    assert_eq!(
        m.to_tn(nature, NumberingPlan::ISDN, &digits).as_ref(),
        Ok(&tn),
        "from_tn({tn:?}) = {nature:?} {digits:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, value)) = data.split_first() else {
        return;
    };
    let m = mapping(sel);

    if let Ok(n) = CalledPartyNumber::decode(value) {
        check_digits(&n.digits);
        let enc = n.encode().expect("a decoded called number encodes");
        let mut want = value.to_vec();
        want[1] &= 0xf0;
        assert_eq!(enc, want, "{n:?}");
        assert_eq!(CalledPartyNumber::decode(&enc).as_ref(), Ok(&n));
        check_mapping(&m, n.nature, n.plan, &n.digits);
        assert_eq!(m.called_to_tn(&n), m.to_tn(n.nature, n.plan, &n.digits));
    }

    if let Ok(n) = CallingPartyNumber::decode(value) {
        check_digits(&n.digits);
        let enc = n.encode().expect("a decoded calling number encodes");
        assert_eq!(enc, value, "{n:?}");
        assert_eq!(CallingPartyNumber::decode(&enc).as_ref(), Ok(&n));
        check_mapping(&m, n.nature, n.plan, &n.digits);
        if n.incomplete {
            assert!(m.calling_to_tn(&n).is_err());
        } else {
            assert_eq!(m.calling_to_tn(&n), m.to_tn(n.nature, n.plan, &n.digits));
        }
        for code in 0..4 {
            let s = Screening::from_code(code);
            let mut v = value.to_vec();
            CallingPartyNumber::set_screening_in(&mut v, s)
                .expect("a decoded value is long enough");
            let back = CallingPartyNumber::decode(&v).expect("screening does not break a number");
            assert_eq!(
                back,
                CallingPartyNumber {
                    screening: s,
                    ..n.clone()
                }
            );
        }
    }

    // The reverse mapping, from text.
    if let Ok(text) = std::str::from_utf8(value)
        && let Ok((nature, digits)) = m.from_tn(text)
    {
        check_digits(&digits);
        let tn = Tn::parse(text).expect("from_tn accepted it").into_string();
        assert_eq!(
            m.to_tn(nature, NumberingPlan::ISDN, &digits).as_ref(),
            Ok(&tn),
            "from_tn({text:?}) = {nature:?} {digits:?}"
        );
        let called = CalledPartyNumber::new(nature, digits.clone());
        let enc = called.encode().expect("a mapped number encodes");
        assert_eq!(CalledPartyNumber::decode(&enc).as_ref(), Ok(&called));
        let calling = CallingPartyNumber::new(nature, digits);
        let enc = calling.encode().expect("a mapped number encodes");
        assert_eq!(CallingPartyNumber::decode(&enc).as_ref(), Ok(&calling));
    }
});
