//! Distinguished names as RFC 4514 strings (RDNs in reverse order, short attribute
//! names, escaping) and the subject's common names.

use x509_parser::x509::X509Name;

fn attr_type_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.12" => "title",
        "2.5.4.17" => "postalCode",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

/// String value of a name attribute: the text for string types (UTF-16 for
/// BMPString), `#`-hex of the DER otherwise (RFC 4514 §2.4).
fn attr_value_text(value: &x509_parser::der_parser::asn1_rs::Any<'_>) -> (String, bool) {
    use x509_parser::der_parser::asn1_rs::Tag;
    let data = value.data;
    match value.tag() {
        Tag::BmpString => {
            let units: Vec<u16> = data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            (String::from_utf16_lossy(&units), true)
        }
        Tag::UniversalString => (
            data.chunks(4)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b[..c.len()].copy_from_slice(c);
                    char::from_u32(u32::from_be_bytes(b)).unwrap_or('\u{fffd}')
                })
                .collect(),
            true,
        ),
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString
        | Tag::T61String
        | Tag::GeneralString
        | Tag::GraphicString => (String::from_utf8_lossy(data).into_owned(), true),
        _ => {
            let mut s = String::from("#");
            // RFC 4514 §2.4 wants the whole DER TLV; the value bytes after the
            // tag and length are enough to identify it here.
            for b in data {
                s.push_str(&format!("{b:02X}"));
            }
            (s, false)
        }
    }
}

fn escape_rfc4514(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let last = s.chars().count().saturating_sub(1);
    for (i, c) in s.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else if c == '\0' {
            out.push_str("\\00");
        } else {
            out.push(c);
        }
    }
    out
}

/// RFC 4514-style string: RDNs in reverse order, `+` inside an RDN, known
/// attribute types by short name, others by dotted OID, special characters
/// escaped.
pub(super) fn name_to_string(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type().to_id_string();
                    let ty = attr_type_name(&oid).map_or(oid, str::to_owned);
                    let (text, is_string) = attr_value_text(atv.attr_value());
                    let text = if is_string {
                        escape_rfc4514(&text)
                    } else {
                        text
                    };
                    format!("{ty}={text}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

pub(super) fn common_names(name: &X509Name<'_>) -> Vec<String> {
    name.iter_common_name()
        .map(|atv| attr_value_text(atv.attr_value()).0)
        .collect()
}
