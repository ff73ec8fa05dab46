//! Node settings: texts, variable names, addresses, option ids, the
//! catalog a carousel shows, and channel limits as warnings that say how
//! the node will be shown instead. One node at a time: must not look at
//! connections or other nodes.

use std::collections::BTreeSet;

use super::{Collector, capital};
use crate::channel::limits;
use crate::commerce::{CatalogView, ProductSource};
use crate::flow::doc::*;
use crate::flow::number::parse_decimal;
use crate::flow::text::{is_var_name, normalize};

fn check_text(c: &mut Collector, id: &NodeId, what: &str, text: &str, required: bool) {
    if required && text.trim().is_empty() {
        c.error(
            "missing_text",
            Some(id),
            format!(
                "{} has no {what}. Write what the bot says.",
                capital(&c.name(id))
            ),
        );
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        c.error(
            "too_long",
            Some(id),
            format!(
                "Keep the {what} of {} to {MAX_TEXT_CHARS} characters.",
                c.name(id)
            ),
        );
    }
}

fn check_var(c: &mut Collector, id: &NodeId, name: &str) {
    if !is_var_name(name) {
        c.error(
            "invalid_variable",
            Some(id),
            format!(
                "“{name}” cannot be a variable name in {}: start with a letter and use letters, digits and “_”.",
                c.name(id)
            ),
        );
    }
}

fn check_url(c: &mut Collector, id: &NodeId, what: &str, url: &str) {
    let ok = (url.starts_with("https://") || url.starts_with("http://") || url.starts_with("{{"))
        && !url.chars().any(char::is_whitespace);
    if !ok {
        c.error(
            "invalid_url",
            Some(id),
            format!(
                "The {what} of {} must be a web address starting with https://.",
                c.name(id)
            ),
        );
    }
}

fn check_choice_ids<'a>(
    c: &mut Collector,
    id: &NodeId,
    ids: impl Iterator<Item = &'a str>,
    reserved: &str,
) {
    let mut seen = BTreeSet::new();
    for o in ids {
        if !is_valid_id(o) || o == reserved {
            c.error("invalid_id", Some(id), format!("The output id “{o}” of {} is not usable; use letters, digits, “-” and “_”, and not “{reserved}”.", c.name(id)));
        }
        if !seen.insert(o) {
            c.error(
                "duplicate_id",
                Some(id),
                format!("Two outputs of {} share the id “{o}”.", c.name(id)),
            );
        }
    }
}

fn advise(c: &mut Collector, id: &NodeId, advice: Vec<limits::Advice>) {
    for a in advice {
        c.warn("channel_limit", Some(id), a.message);
    }
}

/// Checks one node's settings, by its kind.
pub(super) fn check_settings(c: &mut Collector, node: &Node, catalog: Option<&CatalogView>) {
    let id = &node.id;
    match &node.kind {
        NodeKind::Message(s) => {
            check_text(c, id, "text", &s.text, s.image_url.is_none());
            if let Some(url) = &s.image_url {
                check_url(c, id, "image address", url);
            }
            advise(c, id, limits::advise_text(&s.text));
        }
        NodeKind::QuickReply(s) => check_quick_reply(c, id, s),
        NodeKind::ProductCarousel(s) => check_carousel(c, id, s, catalog),
        NodeKind::Checkout(s) => {
            check_text(c, id, "text", &s.text, false);
            check_text(c, id, "confirmation", &s.confirmation, false);
        }
        NodeKind::Ask(s) => check_ask(c, id, s),
        NodeKind::Condition(s) => check_condition(c, id, s),
        NodeKind::SetVariable(s) => {
            check_var(c, id, &s.name);
            if let Some(Err(why)) = crate::flow::interpreter::contact_target(&s.name) {
                c.error(
                    "invalid_variable",
                    Some(id),
                    format!("{why} ({})", c.name(id)),
                );
            }
            check_text(c, id, "value", &s.value, false);
        }
        NodeKind::ShowCart(s) => {
            check_text(c, id, "text", &s.text, false);
            check_text(c, id, "empty-cart text", &s.empty_text, false);
        }
        NodeKind::OrderStatus(s) => {
            check_text(c, id, "text", &s.text, false);
            check_text(c, id, "no-orders text", &s.none_text, false);
        }
        NodeKind::Handoff(s) => check_text(c, id, "text", &s.text, true),
        NodeKind::HttpRequest(s) => {
            check_url(c, id, "address", &s.url);
            if let Some(v) = &s.save_as {
                check_var(c, id, v);
            }
            if let Some(body) = &s.body {
                check_text(c, id, "body", body, false);
            }
        }
        NodeKind::End(s) => check_text(c, id, "text", &s.text, false),
    }
}

/// A quick reply: its question, options (ids, labels) and variable.
fn check_quick_reply(c: &mut Collector, id: &NodeId, s: &QuickReplySettings) {
    check_text(c, id, "question", &s.text, true);
    if s.options.is_empty() {
        c.error(
            "no_options",
            Some(id),
            format!("{} has no options. Add at least one.", capital(&c.name(id))),
        );
    }
    if s.options.len() > MAX_OPTIONS {
        c.error(
            "too_many_options",
            Some(id),
            format!(
                "{} has {} options; the most is {MAX_OPTIONS}.",
                capital(&c.name(id)),
                s.options.len()
            ),
        );
    }
    check_choice_ids(c, id, s.options.iter().map(|o| o.id.as_str()), "fallback");
    let mut labels = BTreeSet::new();
    for o in &s.options {
        if o.label.trim().is_empty() {
            c.error(
                "missing_text",
                Some(id),
                format!("An option of {} has no label.", c.name(id)),
            );
        } else if !labels.insert(normalize(&o.label)) {
            c.error(
                "duplicate_label",
                Some(id),
                format!(
                    "Two options of {} read “{}”; shoppers could not tell them apart.",
                    c.name(id),
                    o.label
                ),
            );
        }
    }
    if let Some(v) = &s.save_as {
        check_var(c, id, v);
    }
    let labels: Vec<&str> = s.options.iter().map(|o| o.label.as_str()).collect();
    advise(c, id, limits::advise_choices(&s.text, &labels));
}

/// A carousel: its page size and source, and with a catalog the products it would show.
fn check_carousel(
    c: &mut Collector,
    id: &NodeId,
    s: &CarouselSettings,
    catalog: Option<&CatalogView>,
) {
    check_text(c, id, "text", &s.text, false);
    if !(1..=MAX_PAGE_SIZE).contains(&s.page_size) {
        c.error(
            "invalid_setting",
            Some(id),
            format!(
                "{} must show between 1 and {MAX_PAGE_SIZE} products at a time.",
                capital(&c.name(id))
            ),
        );
    }
    match &s.source {
        ProductSource::Collection { collection } if collection.trim().is_empty() => {
            c.error(
                "invalid_setting",
                Some(id),
                format!("Choose the collection {} shows.", c.name(id)),
            );
        }
        ProductSource::Skus { skus } if skus.is_empty() => {
            c.error(
                "invalid_setting",
                Some(id),
                format!("Choose the products {} shows.", c.name(id)),
            );
        }
        ProductSource::Search { query } if query.trim().is_empty() => {
            c.error(
                "invalid_setting",
                Some(id),
                format!("Enter the search words for {}.", c.name(id)),
            );
        }
        _ => {}
    }
    if let Some(catalog) = catalog {
        if catalog.select(&s.source).is_empty() {
            c.warn("no_products", Some(id), format!("{} has no products to show yet: add products to the catalog or change its source.", capital(&c.name(id))));
        }
        if let ProductSource::Skus { skus } = &s.source {
            for sku in skus.iter().filter(|k| catalog.get(k).is_none()) {
                c.warn(
                    "unknown_product",
                    Some(id),
                    format!(
                        "{} shows the product “{sku}”, which is not in the catalog.",
                        capital(&c.name(id))
                    ),
                );
            }
        }
    }
    // With a catalog, advise on the cards a page really shows.
    let shown = match catalog {
        Some(catalog) => match catalog.select(&s.source).len() {
            0 => s.page_size as usize,
            n => n.min(s.page_size as usize),
        },
        None => s.page_size as usize,
    };
    advise(c, id, limits::advise_cards(shown));
}

/// A question: its text, variable and attempts.
fn check_ask(c: &mut Collector, id: &NodeId, s: &AskSettings) {
    check_text(c, id, "question", &s.text, true);
    check_var(c, id, &s.save_as);
    if !(1..=10).contains(&s.max_attempts) {
        c.error(
            "invalid_setting",
            Some(id),
            format!(
                "{} must allow between 1 and 10 attempts.",
                capital(&c.name(id))
            ),
        );
    }
    advise(c, id, limits::advise_text(&s.text));
}

/// A condition: its branches, their ids, variables and numbers.
fn check_condition(c: &mut Collector, id: &NodeId, s: &ConditionSettings) {
    if s.branches.is_empty() {
        c.error(
            "no_options",
            Some(id),
            format!(
                "{} has no branches. Add at least one.",
                capital(&c.name(id))
            ),
        );
    }
    if s.branches.len() > MAX_OPTIONS {
        c.error(
            "too_many_options",
            Some(id),
            format!(
                "{} has more than {MAX_OPTIONS} branches.",
                capital(&c.name(id))
            ),
        );
    }
    check_choice_ids(c, id, s.branches.iter().map(|b| b.id.as_str()), "else");
    for b in &s.branches {
        if b.op == Comparison::HasTag {
            if b.value.trim().is_empty() {
                c.error(
                    "invalid_setting",
                    Some(id),
                    format!(
                        "The branch “{}” of {} tests a tag but names none.",
                        b.id,
                        c.name(id)
                    ),
                );
            }
        } else if let Subject::Variable { name } = &b.subject {
            check_var(c, id, name);
        }
        if matches!(b.op, Comparison::GreaterThan | Comparison::LessThan)
            && parse_decimal(&b.value).is_none()
        {
            c.error(
                "invalid_setting",
                Some(id),
                format!(
                    "The branch “{}” of {} compares with “{}”, which is not a number.",
                    b.id,
                    c.name(id),
                    b.value
                ),
            );
        }
    }
}
