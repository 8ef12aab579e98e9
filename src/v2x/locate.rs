//! Where a UPER decode failed: the ASN.1 type, field path and bit offset.
//!
//! rasn's [`DecodeError`] names the fields around a failure but not the bit at which it
//! happened, nor the SEQUENCE OF index or CHOICE alternative. `Locating` is a
//! [`rasn::Decoder`] that owns rasn's own UPER decoder and delegates every primitive to it,
//! noting the bit position first, so the bits read and the values built are rasn's. It only
//! re-implements the composite steps where rasn would hand *its own* decoder to the generated
//! code and so bypass the wrapper: CHOICE alternatives, SEQUENCE OF components and OPTIONAL
//! presence. Each mirrors `rasn::per::de` 0.30 and the tests compare it with rasn.
//!
//! Callers should use [`decode_uper`], which runs rasn's decoder and re-decodes with the
//! locating one only when that fails, so valid messages pay nothing.

use core::cell::{Cell, RefCell};
use core::fmt::Write as _;
use core::mem;

use rasn::de::{Error as _, Needed};
use rasn::error::{DecodeError, DecodeErrorKind};
use rasn::types::constraints::Bounded;
use rasn::types::fields::{Field, Fields};
use rasn::types::{
    self, BitStr, Constraints, Constructed, DecodeChoice, Enumerated, IntegerType, RealType, SetOf,
    Tag, TagTree,
};
use rasn::uper::de::{Decoder as Per, DecoderOptions};
use rasn::{Codec, Decode, Decoder};

type Result<T, E = DecodeError> = core::result::Result<T, E>;

/// Where and why a UPER decode failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{type_name}{}{path}: {reason} at bit {bit_offset} of {message_bits}",
    if .path.is_empty() { "" } else { "." }
)]
pub struct DecodeFailure {
    /// The ASN.1 type decoded, e.g. `MessageFrame`.
    pub type_name: &'static str,
    /// ASN.1 identifiers from the top type down, e.g. `rsmFrame.participants[2].heading`;
    /// empty when the top type itself failed (e.g. an unknown CHOICE alternative).
    pub path: String,
    /// First bit of the failing element, or where the data ran out when truncated.
    pub bit_offset: usize,
    /// Length of the message in bits.
    pub message_bits: usize,
    /// Short human reason, e.g. `value 32767 outside 0..=28800`.
    pub reason: String,
}

/// Decodes `bytes` as UPER like [`rasn::uper::decode`]; on failure, re-decodes with the
/// locating decoder to say where. Valid messages cost exactly a rasn decode.
pub fn decode_uper<T: Decode>(type_name: &'static str, bytes: &[u8]) -> Result<T, DecodeFailure> {
    rasn::uper::decode::<T>(bytes).map_err(|error| match locate_uper::<T>(type_name, bytes) {
        Err(failure) => failure,
        // Not expected (the tests check the two agree), but never report success for it.
        Ok(_) => unlocated(type_name, bytes, &error),
    })
}

/// Decodes `bytes` with the locating decoder only. It accepts exactly what rasn accepts and
/// gives the same values, but is slower; prefer [`decode_uper`].
pub fn locate_uper<T: Decode>(type_name: &'static str, bytes: &[u8]) -> Result<T, DecodeFailure> {
    let bits = BitStr::from_slice(bytes);
    let shared = Shared::default();
    let mut top = Locating::<0, 0>::new(bits, &shared, bits.len());
    let result = T::decode(&mut top).and_then(|value| top.finish(bits.len()).map(|()| value));
    result.map_err(|error| match shared.failure.take() {
        Some(found) => DecodeFailure {
            type_name,
            path: found.path,
            bit_offset: found.bit_offset.min(bits.len()),
            message_bits: bits.len(),
            reason: found.reason,
        },
        None => unlocated(type_name, bytes, &error),
    })
}

/// Fallback from rasn's own error: its `FieldError` names (`Type.field`), no position.
fn unlocated(type_name: &'static str, bytes: &[u8], error: &DecodeError) -> DecodeFailure {
    let mut path = String::new();
    let mut kind = &*error.kind;
    while let DecodeErrorKind::FieldError { name, nested } = kind {
        push_name(&mut path, name.rsplit('.').next().unwrap_or(name));
        kind = &nested.kind;
    }
    DecodeFailure {
        type_name,
        path,
        bit_offset: 0,
        message_bits: bytes.len() * 8,
        reason: format!("{} (bit position unknown)", describe(kind)),
    }
}

/// Longest path (one step per SEQUENCE, CHOICE and SEQUENCE OF level): rasn's depth limit
/// (128) is counted in its decoders, which CHOICE and SEQUENCE OF here bypass, so this one
/// keeps hostile input to recursive types off the stack.
const MAX_PATH: usize = 256;
const SMALL_INDEX: Constraints = rasn::constraints!(rasn::value_constraint!(0, 63));
const LARGE_INDEX: Constraints = rasn::constraints!(rasn::value_constraint!(start: 0));

/// One step of the path: a field or CHOICE alternative identifier, or a component index.
#[derive(Clone, Copy)]
enum Seg {
    Name(&'static str),
    Index(usize),
}

/// The first failure found, recorded by the innermost element, before the generated code
/// wraps the error in `FieldError`s on its way out.
struct Found {
    bit_offset: usize,
    path: String,
    reason: String,
}

/// State shared by the decoder and all its sub-decoders.
#[derive(Default)]
struct Shared {
    path: RefCell<Vec<Seg>>,
    failure: RefCell<Option<Found>>,
}

impl Shared {
    fn push(&self, seg: Seg, codec: Codec) -> Result<usize> {
        let mut path = self.path.borrow_mut();
        if path.len() >= MAX_PATH {
            let kind = DecodeErrorKind::ExceedsMaxParseDepth;
            return Err(DecodeError::from_kind(kind, codec));
        }
        path.push(seg);
        Ok(path.len() - 1)
    }

    fn set(&self, slot: usize, name: &'static str) {
        if let Some(seg) = self.path.borrow_mut().get_mut(slot) {
            *seg = Seg::Name(name);
        }
    }

    fn truncate(&self, len: usize) {
        self.path.borrow_mut().truncate(len);
    }

    /// Keeps only the first (innermost) failure.
    fn found(&self, bit_offset: usize, reason: String) {
        if self.failure.borrow().is_some() {
            return;
        }
        let mut path = String::new();
        for seg in self.path.borrow().iter() {
            match *seg {
                Seg::Name(name) => push_name(&mut path, name),
                Seg::Index(index) => {
                    let _ = write!(path, "[{index}]");
                }
            }
        }
        *self.failure.borrow_mut() = Some(Found {
            bit_offset,
            path,
            reason,
        });
    }

    /// Records `error` of the element starting at `start` in a decoder whose input ends at
    /// `end`; a truncation is reported where the data ran out.
    fn record(&self, start: usize, end: usize, error: &DecodeError) {
        let kind = root(error);
        match kind {
            DecodeErrorKind::Incomplete { .. } => {
                let reason = format!("{} (element starts at bit {start})", describe(kind));
                self.found(end, reason);
            }
            _ => self.found(start, describe(kind)),
        }
    }
}

fn push_name(path: &mut String, name: &str) {
    if !name.is_empty() {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
    }
}

fn root(error: &DecodeError) -> &DecodeErrorKind {
    let mut kind = &*error.kind;
    while let DecodeErrorKind::FieldError { nested, .. } = kind {
        kind = &nested.kind;
    }
    kind
}

fn describe(kind: &DecodeErrorKind) -> String {
    match kind {
        DecodeErrorKind::Incomplete {
            needed: Needed::Size(bits),
        } => match bits.get() {
            1 => "truncated: needed 1 more bit".into(),
            bits => format!("truncated: needed {bits} more bits"),
        },
        DecodeErrorKind::Incomplete { .. } => "truncated".into(),
        DecodeErrorKind::ValueConstraintNotSatisfied { value, expected } => {
            format!("value {value} outside {}", bounds(expected))
        }
        DecodeErrorKind::SizeConstraintNotSatisfied { size, expected } => {
            let size = size.map_or_else(|| "?".into(), |size| size.to_string());
            // rasn renders sizes as `a..b` (inclusive); say so.
            let expected = match expected.split_once("..") {
                Some((low, high)) if !high.is_empty() && !high.starts_with('=') => {
                    format!("{low}..={high}")
                }
                _ => expected.clone(),
            };
            format!("size {size} outside {expected}")
        }
        DecodeErrorKind::UnexpectedExtraData { length } => {
            let plural = if *length == 1 { "" } else { "s" };
            format!("trailing data: {length} octet{plural} after the value")
        }
        other => other.to_string(),
    }
}

/// `low..=high` as Rust writes it (rasn's `Display` gives `low..high`, inclusive).
fn bounds(bounds: &Bounded<i128>) -> String {
    let (start, end) = bounds.start_and_end();
    let start = start.map_or(String::new(), i128::to_string);
    end.map_or_else(|| format!("{start}.."), |end| format!("{start}..={end}"))
}

/// The number of alternatives as rasn counts them, untagged nested CHOICEs flattened.
fn leaf_count(variants: &[TagTree]) -> usize {
    variants
        .iter()
        .map(|variant| match variant {
            TagTree::Leaf(_) => 1,
            TagTree::Choice(nested) => leaf_count(nested),
        })
        .sum()
}

/// The leaf tag at `index` of the flattened alternatives (as rasn counts them), with the
/// position of the top-level alternative holding it, for its identifier.
fn leaf_at(variants: &[TagTree], index: usize) -> Option<(Tag, usize)> {
    let mut rest = index;
    for (position, variant) in variants.iter().enumerate() {
        let count = match variant {
            TagTree::Leaf(tag) if rest == 0 => return Some((*tag, position)),
            TagTree::Leaf(_) => 1,
            TagTree::Choice(nested) => match leaf_at(nested, rest) {
                Some((tag, _)) => return Some((tag, position)),
                None => leaf_count(nested),
            },
        };
        rest -= count;
    }
    None
}

/// The identifier of field `index` of a SEQUENCE or SET, root fields then extensions.
fn field_name(fields: &[Field], extended: &[Field], index: usize) -> &'static str {
    let field = match index.checked_sub(fields.len()) {
        None => fields.get(index),
        Some(index) => extended.get(index),
    };
    field.map_or("", |field| field.name)
}

/// Whether `bits` start with a fragmented length determinant (X.691 §11.9.3.8), which
/// rasn reads when the size has no upper bound below 64K (or the extension bit is set).
fn fragmented(bits: &BitStr, constraints: &Constraints) -> bool {
    let skip = usize::from(constraints.extensible());
    let extended = skip == 1 && bits.first().is_some_and(|bit| *bit);
    let bounded = constraints.size().is_some_and(
        |size| matches!(size.constraint.start_and_end(), (Some(_), Some(&upper)) if upper < 65_536),
    );
    (extended || !bounded) && bits.get(skip..skip + 2).is_some_and(|bits| bits.all())
}

/// A stand-in swapped into rasn's sub-decoder slot while the wrapper owns the real one.
fn placeholder<'i, const R: usize, const E: usize>() -> Per<'i, R, E> {
    Per::new(BitStr::empty(), DecoderOptions::unaligned())
}

/// A [`rasn::Decoder`] over rasn's UPER decoder that records where decoding failed.
struct Locating<'i, 's, const R: usize, const E: usize> {
    inner: Per<'i, R, E>,
    shared: &'s Shared,
    /// Absolute bit at which `inner`'s input ends (the message, or an open type, end).
    end: usize,
    /// The fields of the SEQUENCE this decoder decodes, to name them in the path.
    fields: &'static [Field],
    extended_fields: &'static [Field],
    next_field: usize,
    /// The path step naming this SEQUENCE's current field.
    slot: Option<usize>,
    /// Calls on this decoder in progress: the generated code makes one per field, so a call
    /// made at zero starts the next field, and calls made by the wrapper itself are nested.
    nesting: u32,
}

impl<'i, 's, const R: usize, const E: usize> Locating<'i, 's, R, E> {
    fn new(bits: &'i BitStr, shared: &'s Shared, end: usize) -> Self {
        Self::wrap(Per::new(bits, DecoderOptions::unaligned()), shared, end)
    }

    fn wrap(inner: Per<'i, R, E>, shared: &'s Shared, end: usize) -> Self {
        Self {
            inner,
            shared,
            end,
            fields: &[],
            extended_fields: &[],
            next_field: 0,
            slot: None,
            nesting: 0,
        }
    }

    fn pos(&self) -> usize {
        self.end.saturating_sub(self.inner.input().len())
    }

    /// Starts an element: names the field when the generated code starts one. Returns the
    /// element's first bit.
    fn begin(&mut self) -> usize {
        if let (0, Some(slot)) = (self.nesting, self.slot) {
            let index = self.next_field;
            self.next_field += 1;
            let name = field_name(self.fields, self.extended_fields, index);
            self.shared.set(slot, name);
        }
        self.pos()
    }

    /// Decodes one primitive with rasn's decoder.
    fn leaf<T>(&mut self, decode: impl FnOnce(&mut Per<'i, R, E>) -> Result<T>) -> Result<T> {
        self.nested(|this| decode(&mut this.inner))
    }

    /// Decodes a composite whose parts come back to this decoder.
    fn nested<T>(&mut self, decode: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let start = self.begin();
        self.nesting += 1;
        let result = decode(self);
        self.nesting -= 1;
        if let Err(error) = &result {
            self.shared.record(start, self.end, error);
        }
        result
    }

    /// An OPTIONAL field: rasn reads its presence (the bitmap is private) by decoding a
    /// zero-bit NULL in its place; the value itself is then decoded through this decoder.
    fn optional<D>(
        &mut self,
        tag: Tag,
        decode: impl FnOnce(&mut Self) -> Result<D>,
    ) -> Result<Option<D>> {
        self.nested(
            |this| match this.inner.decode_optional_with_tag::<()>(tag)? {
                Some(()) => decode(this).map(Some),
                None => Ok(None),
            },
        )
    }

    /// X.691 §11.1 final padding and nothing after it, as `rasn::per` checks a complete
    /// encoding (the message, or an open type's contents); its own check is crate-private.
    fn finish(&mut self, total: usize) -> Result<()> {
        let codec = self.inner.codec();
        let rest = self.inner.input();
        let consumed = total.saturating_sub(rest.len());
        let padding = if consumed == 0 {
            8
        } else {
            (8 - consumed % 8) % 8
        };
        let at = self.pos();
        let (offset, error) = match rest.get(..padding) {
            None => (
                at,
                DecodeError::incomplete(Needed::new(padding - rest.len()), codec),
            ),
            Some(bits) if consumed == 0 && bits.any() => {
                let message = "non-zero octet for an empty value".into();
                (at, DecodeError::parser_fail(message, codec))
            }
            Some(_) if rest.len() > padding => {
                let octets = (rest.len() - padding) / 8;
                (
                    at + padding,
                    DecodeError::unexpected_extra_data(octets, codec),
                )
            }
            Some(_) => return Ok(()),
        };
        self.shared.record(offset, self.end, &error);
        Err(error)
    }

    /// Decodes an open type (X.691 §11.2): an octet length, then contents that must be a
    /// complete encoding on their own, positioned where they lie in the message.
    fn open_type<T>(
        &mut self,
        decode: impl for<'x> FnOnce(&mut Locating<'x, 's, 0, 0>) -> Result<T>,
    ) -> Result<T> {
        let octets: Vec<u8> = self
            .inner
            .decode_octet_string(Tag::OCTET_STRING, &Constraints::NONE)?;
        let bits = BitStr::from_slice(&octets);
        let mut open = Locating::new(bits, self.shared, self.pos());
        let value = decode(&mut open)?;
        open.finish(bits.len()).map(|()| value)
    }

    fn choice_index<D: DecodeChoice>(&mut self, extended: bool, start: usize) -> Result<usize> {
        if extended {
            // A normally small non-negative whole number (X.691 §11.6).
            let large = self.inner.decode_bool(Tag::BOOL)?;
            let index = if large { &LARGE_INDEX } else { &SMALL_INDEX };
            return self.inner.decode_integer::<usize>(Tag::INTEGER, index);
        }
        if leaf_count(D::VARIANTS) == 1 {
            return Ok(0);
        }
        let result = self
            .inner
            .decode_integer::<usize>(Tag::INTEGER, &D::VARIANCE_CONSTRAINT);
        if let Err(error) = &result {
            if let DecodeErrorKind::ValueConstraintNotSatisfied { value, .. } = &*error.kind {
                let count = leaf_count(D::VARIANTS);
                let reason = format!("CHOICE index {value} not defined ({count} alternatives)");
                self.shared.found(start, reason);
            }
        }
        result
    }
}

macro_rules! leaves {
    ($($method:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {$(
        fn $method(&mut self, $($arg: $ty),*) -> Result<$out> {
            self.leaf(|inner| inner.$method($($arg),*))
        }
    )*};
}

impl<'i, 's, const R: usize, const E: usize> Decoder for Locating<'i, 's, R, E> {
    type Ok = ();
    type Error = DecodeError;
    type AnyDecoder<const R2: usize, const E2: usize> = Locating<'i, 's, R2, E2>;

    fn codec(&self) -> Codec {
        self.inner.codec()
    }

    leaves! {
        decode_any(tag: Tag) -> types::Any;
        decode_bit_string(tag: Tag, c: &Constraints) -> types::BitString;
        decode_bool(tag: Tag) -> bool;
        decode_null(tag: Tag) -> ();
        decode_object_identifier(tag: Tag) -> types::ObjectIdentifier;
        decode_utf8_string(tag: Tag, c: &Constraints) -> types::Utf8String;
        decode_visible_string(tag: Tag, c: &Constraints) -> types::VisibleString;
        decode_general_string(tag: Tag, c: &Constraints) -> types::GeneralString;
        decode_graphic_string(tag: Tag, c: &Constraints) -> types::GraphicString;
        decode_ia5_string(tag: Tag, c: &Constraints) -> types::Ia5String;
        decode_printable_string(tag: Tag, c: &Constraints) -> types::PrintableString;
        decode_numeric_string(tag: Tag, c: &Constraints) -> types::NumericString;
        decode_teletex_string(tag: Tag, c: &Constraints) -> types::TeletexString;
        decode_bmp_string(tag: Tag, c: &Constraints) -> types::BmpString;
        decode_utc_time(tag: Tag) -> types::UtcTime;
        decode_generalized_time(tag: Tag) -> types::GeneralizedTime;
        decode_date(tag: Tag) -> types::Date;
    }

    fn decode_enumerated<En: Enumerated>(&mut self, tag: Tag) -> Result<En> {
        self.nested(|this| {
            let (start, result) = (this.pos(), this.inner.decode_enumerated::<En>(tag));
            let Err(error) = &result else { return result };
            if let DecodeErrorKind::EnumerationIndexNotFound {
                index,
                extended_list,
            } = &*error.kind
            {
                let (list, count) = match extended_list {
                    true => ("extension ", En::extended_variance()),
                    false => ("", En::variance()),
                };
                let reason = format!("ENUMERATED {list}index {index} not defined ({count} values)");
                this.shared.found(start, reason);
            }
            result
        })
    }

    fn decode_integer<I: IntegerType>(&mut self, tag: Tag, c: &Constraints) -> Result<I> {
        self.leaf(|inner| inner.decode_integer::<I>(tag, c))
    }

    fn decode_real<Re: RealType>(&mut self, tag: Tag, c: &Constraints) -> Result<Re> {
        self.leaf(|inner| inner.decode_real::<Re>(tag, c))
    }

    fn decode_octet_string<'b, T>(&'b mut self, tag: Tag, c: &Constraints) -> Result<T>
    where
        T: From<&'b [u8]> + From<Vec<u8>>,
    {
        let (start, shared, end) = (self.begin(), self.shared, self.end);
        // The value may borrow the input, so it cannot go through `leaf`.
        let result = self.inner.decode_octet_string::<T>(tag, c);
        if let Err(error) = &result {
            shared.record(start, end, error);
        }
        result
    }

    fn decode_sequence<const RC: usize, const EC: usize, D, DF, F>(
        &mut self,
        tag: Tag,
        default_initializer_fn: Option<DF>,
        decode_fn: F,
    ) -> Result<D>
    where
        D: Constructed<RC, EC>,
        DF: FnOnce() -> D,
        F: FnOnce(&mut Locating<'i, 's, RC, EC>) -> Result<D>,
    {
        let fields: &'static Fields<RC> = const { &D::FIELDS };
        let extended: &'static Option<_> = const { &D::EXTENDED_FIELDS };
        let extended_fields = extended.as_ref().map_or(&[][..], |fields| &fields[..]);
        let (shared, end) = (self.shared, self.end);
        self.nested(|this| {
            let slot = shared.push(Seg::Name(""), this.inner.codec())?;
            let after_fields = Cell::new(None);
            let result = this.inner.decode_sequence::<RC, EC, D, DF, _>(
                tag,
                default_initializer_fn,
                |sub| {
                    let mut sub_locating = Locating {
                        fields,
                        extended_fields,
                        slot: Some(slot),
                        ..Locating::wrap(mem::replace(sub, placeholder()), shared, end)
                    };
                    let result = decode_fn(&mut sub_locating);
                    if result.is_ok() {
                        // rasn then skips unknown extension additions: name that part.
                        shared.set(slot, "(extension additions)");
                        after_fields.set(Some(sub_locating.pos()));
                    }
                    *sub = sub_locating.inner;
                    result
                },
            );
            if let (Err(error), Some(at)) = (&result, after_fields.get()) {
                shared.record(at, end, error);
            }
            shared.truncate(slot);
            result
        })
    }

    fn decode_sequence_of<D: Decode>(&mut self, tag: Tag, c: &Constraints) -> Result<Vec<D>> {
        self.nested(|this| {
            if fragmented(this.inner.input(), c) {
                // 16K components or more come in fragments, each with its own length, which
                // the trick below cannot follow: rasn decodes them, located at the start.
                return this.inner.decode_sequence_of(tag, c);
            }
            // rasn reads the length and checks the size for zero-bit NULL components; the
            // real ones are then decoded here, through this decoder. (rasn itself checks the
            // size after the components, so it may fail in one; the length is the first fault.)
            let count = this.inner.decode_sequence_of::<()>(tag, c)?.len();
            let mut items = Vec::with_capacity(count.min(this.inner.input().len()));
            for index in 0..count {
                let slot = this.shared.push(Seg::Index(index), this.inner.codec())?;
                let item = D::decode(this);
                this.shared.truncate(slot);
                items.push(item?);
            }
            Ok(items)
        })
    }

    fn decode_set_of<D: Decode + Eq + core::hash::Hash>(
        &mut self,
        tag: Tag,
        c: &Constraints,
    ) -> Result<SetOf<D>> {
        self.decode_sequence_of(tag, c).map(SetOf::from_vec)
    }

    fn decode_explicit_prefix<D: Decode>(&mut self, tag: Tag) -> Result<D> {
        self.nested(|this| match D::IS_CHOICE {
            true => D::decode(this),
            false => D::decode_with_tag(this, tag),
        })
    }

    fn decode_optional_with_explicit_prefix<D: Decode>(&mut self, tag: Tag) -> Result<Option<D>> {
        self.decode_optional_with_tag(tag)
    }

    fn decode_set<const RC: usize, const EC: usize, FIELDS, SET, D, F>(
        &mut self,
        tag: Tag,
        decode_fn: D,
        field_fn: F,
    ) -> Result<SET>
    where
        SET: Decode + Constructed<RC, EC>,
        FIELDS: Decode,
        D: Fn(&mut Locating<'i, 's, RC, EC>, usize, Tag) -> Result<FIELDS>,
        F: FnOnce(Vec<FIELDS>) -> Result<SET>,
    {
        let fields: &'static Fields<RC> = const { &SET::FIELDS };
        let extended: &'static Option<_> = const { &SET::EXTENDED_FIELDS };
        let extended_fields = extended.as_ref().map_or(&[][..], |fields| &fields[..]);
        let (shared, end) = (self.shared, self.end);
        self.nested(|this| {
            let slot = shared.push(Seg::Name(""), this.inner.codec())?;
            // A SET decodes in tag order and rasn passes the field's index: name it here.
            let decode_field = |sub: &mut Per<'i, RC, EC>, index: usize, field_tag: Tag| {
                shared.set(slot, field_name(fields, extended_fields, index));
                let mut sub_locating =
                    Locating::wrap(mem::replace(sub, placeholder()), shared, end);
                let result = decode_fn(&mut sub_locating, index, field_tag);
                *sub = sub_locating.inner;
                result
            };
            let result =
                this.inner
                    .decode_set::<RC, EC, FIELDS, SET, _, F>(tag, decode_field, field_fn);
            shared.truncate(slot);
            result
        })
    }

    fn decode_choice<D: DecodeChoice>(&mut self, constraints: &Constraints) -> Result<D> {
        self.nested(|this| {
            let (start, codec) = (this.pos(), this.inner.codec());
            let extended = constraints.extensible() && this.inner.decode_bool(Tag::BOOL)?;
            let index = this.choice_index::<D>(extended, start)?;
            let variants = match extended {
                true => D::EXTENDED_VARIANTS.unwrap_or(&[]),
                false => D::VARIANTS,
            };
            let Some((tag, position)) = leaf_at(variants, index) else {
                let reason = match extended {
                    true => format!("unsupported CHOICE alternative (extension) {index}"),
                    false => format!(
                        "CHOICE index {index} not defined ({} alternatives)",
                        leaf_count(variants)
                    ),
                };
                this.shared.found(start, reason.clone());
                return Err(DecodeError::custom(reason, codec));
            };
            let identifier = position + if extended { D::VARIANTS.len() } else { 0 };
            let name = D::IDENTIFIERS.get(identifier).copied().unwrap_or("");
            let slot = this.shared.push(Seg::Name(name), codec)?;
            let result = if extended {
                this.open_type(|open| D::from_tag(open, tag))
            } else {
                D::from_tag(this, tag)
            };
            this.shared.truncate(slot);
            result
        })
    }

    fn decode_optional<D: Decode>(&mut self) -> Result<Option<D>> {
        self.decode_optional_with_tag(D::TAG)
    }

    fn decode_optional_with_tag<D: Decode>(&mut self, tag: Tag) -> Result<Option<D>> {
        self.optional(tag, |this| D::decode_with_tag(this, tag))
    }

    fn decode_optional_with_constraints<D: Decode>(
        &mut self,
        constraints: &Constraints,
    ) -> Result<Option<D>> {
        self.optional(D::TAG, |this| D::decode_with_constraints(this, constraints))
    }

    fn decode_optional_with_tag_and_constraints<D: Decode>(
        &mut self,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Option<D>> {
        self.optional(tag, |this| {
            D::decode_with_tag_and_constraints(this, tag, constraints)
        })
    }

    // Extension additions of a SEQUENCE depend on rasn's private extension bitmap, so they
    // are decoded by rasn whole and located at their start only (the CN 2020 modules have
    // none; unknown additions sent by newer peers are skipped by rasn and located).
    fn decode_extension_addition_with_explicit_tag_and_constraints<D: Decode>(
        &mut self,
        tag: Tag,
        c: &Constraints,
    ) -> Result<Option<D>> {
        self.leaf(|inner| inner.decode_extension_addition_with_explicit_tag_and_constraints(tag, c))
    }

    fn decode_extension_addition_with_tag_and_constraints<D: Decode>(
        &mut self,
        tag: Tag,
        c: &Constraints,
    ) -> Result<Option<D>> {
        self.leaf(|inner| inner.decode_extension_addition_with_tag_and_constraints(tag, c))
    }

    fn decode_extension_addition_group<
        const RC: usize,
        const EC: usize,
        D: Decode + Constructed<RC, EC>,
    >(
        &mut self,
    ) -> Result<Option<D>> {
        self.leaf(|inner| inner.decode_extension_addition_group::<RC, EC, D>())
    }
}
