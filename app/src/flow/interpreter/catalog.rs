//! Catalog: product carousels, their pages and the buttons under their
//! cards (add to cart, details, more, done).

use std::fmt::Write as _;

use super::{Next, Run, Status};
use crate::channel::{Card, CardButton, Choice, Outbound};
use crate::commerce::{CatalogView, Product};
use crate::flow::doc::{CarouselSettings, MAX_PAGE_SIZE, NodeId};
use crate::flow::payload;

/// Products per carousel page.
fn page_size(s: &CarouselSettings) -> usize {
    s.page_size.clamp(1, MAX_PAGE_SIZE) as usize
}

/// A product's card: name, price with a line of description, picture,
/// and its "Add to cart" and "Details" buttons.
fn card(id: &NodeId, p: &Product) -> Card {
    let description = p.description.trim();
    let mut subtitle = String::with_capacity(16 + description.len());
    let _ = write!(subtitle, "{}", p.price);
    if p.stock == Some(0) {
        subtitle.push_str(" · Sold out");
    } else if !description.is_empty() {
        subtitle.push_str(" · ");
        subtitle.push_str(description);
    }
    Card {
        title: p.name.clone(),
        subtitle,
        image_url: p.image_url.clone(),
        buttons: vec![
            CardButton::Postback {
                label: "Add to cart".into(),
                payload: payload::encode_add(id, &p.sku),
            },
            CardButton::Postback {
                label: "Details".into(),
                payload: payload::encode_details(id, &p.sku),
            },
        ],
    }
}

impl<'a> Run<'a> {
    /// The products on page `page` of the carousel's selection (or on its
    /// last page, when there are fewer pages), the page shown, and how many
    /// products it selects.
    fn page_of(&self, s: &CarouselSettings, page: u32) -> (Vec<&'a Product>, usize, usize) {
        let catalog: &'a CatalogView = self.ctx.catalog;
        let size = page_size(s);
        let (shown, total) =
            catalog.select_page(&s.source, (page as usize).saturating_mul(size), size);
        if total == 0 {
            return (shown, 0, 0);
        }
        let last = total.div_ceil(size) - 1;
        if (page as usize) <= last {
            (shown, page as usize, total)
        } else {
            let (shown, total) = catalog.select_page(&s.source, last * size, size);
            (shown, last, total)
        }
    }

    pub(super) fn show_page(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) -> Next<'a> {
        let (products, page, total) = self.page_of(s, page);
        if total == 0 {
            self.say("Sorry, there is nothing to show here right now.");
            return Next::Port("done");
        }
        let cards = products.iter().map(|p| card(id, p)).collect();
        self.set_node(id);
        self.s.status = Status::Waiting;
        self.s.page = page as u32;
        let choices = self.carousel_choice_list(id, s, page as u32, total);
        self.send(Outbound::Cards {
            text: self.fill(&s.text),
            cards,
            choices,
        });
        Next::Wait
    }

    fn carousel_choice_list(
        &self,
        id: &NodeId,
        s: &CarouselSettings,
        page: u32,
        total: usize,
    ) -> Vec<Choice> {
        let size = page_size(s);
        let has_more = (page as usize + 1).saturating_mul(size) < total
            || self.flow.target_index(id, "more").is_some();
        let mut choices = Vec::with_capacity(2);
        if has_more {
            choices.push(Choice {
                label: "More".into(),
                payload: payload::encode_more(id, page + 1),
            });
        }
        choices.push(Choice {
            label: "Done".into(),
            payload: payload::encode_done(id),
        });
        choices
    }

    pub(super) fn carousel_choices(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) {
        let total = self.ctx.catalog.count_selected(&s.source);
        let choices = self.carousel_choice_list(id, s, page, total);
        self.send(Outbound::Choices {
            text: "What next?".into(),
            choices,
        });
    }

    pub(super) fn more(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) {
        self.set_node(id);
        self.s.status = Status::Waiting;
        if self.flow.target_index(id, "more").is_some() {
            self.proceed(Next::Port("more"));
            return;
        }
        let size = page_size(s);
        let total = self.ctx.catalog.count_selected(&s.source);
        if (page as usize).saturating_mul(size) >= total {
            self.say("That's everything we have here.");
            self.carousel_choices(id, s, self.s.page);
            return;
        }
        if let Next::Port(p) = self.show_page(id, s, page) {
            self.proceed(Next::Port(p));
        }
    }

    /// Typed text at a carousel: "more", "done", or a hint.
    /// `typed` is the text normalized.
    pub(super) fn carousel_text(&mut self, id: &NodeId, s: &CarouselSettings, typed: &str) {
        if ["more", "next", "show more", "see more"].contains(&typed) {
            self.more(id, s, self.s.page + 1);
        } else if ["done", "finish", "that s all", "thats all", "no"].contains(&typed) {
            self.proceed(Next::Port("done"));
        } else {
            self.say("Tap “Add to cart” under a product, or “Done” when you have what you need.");
            self.carousel_choices(id, s, self.s.page);
        }
    }

    /// "Add to cart" under a card, from this carousel or an earlier one.
    pub(super) fn add_from_card(&mut self, id: &NodeId, sku: &str) {
        match self.s.cart.add(self.ctx.catalog, sku, 1) {
            Ok(line) => {
                let name = line.name.clone();
                let total = self.cart_total().map(|t| t.to_string()).unwrap_or_default();
                let count = self.s.cart.count();
                self.say(format!(
                    "Added {name} to your cart. You have {count} item{} ({total}).",
                    if count == 1 { "" } else { "s" }
                ));
                // "Add to cart" on an earlier carousel continues from that carousel.
                self.set_node(id);
                self.s.status = Status::Waiting;
                self.proceed(Next::Port("added"));
            }
            Err(e) => {
                self.say(e.to_string());
                self.reprompt_current();
            }
        }
    }

    /// "Details" under a card: the product's picture, description and an
    /// "Add to cart" button.
    pub(super) fn show_details(&mut self, id: &NodeId, sku: &str) {
        let catalog: &'a CatalogView = self.ctx.catalog;
        match catalog.get(sku).filter(|p| p.active) {
            Some(p) => {
                if let Some(url) = &p.image_url {
                    self.send(Outbound::Image {
                        url: url.clone(),
                        caption: Some(p.name.clone()),
                    });
                }
                let mut text = format!("{} — {}", p.name, p.price);
                if !p.description.trim().is_empty() {
                    text.push('\n');
                    text.push_str(p.description.trim());
                }
                if p.stock == Some(0) {
                    text.push_str("\nSold out for now.");
                }
                self.send(Outbound::Choices {
                    text,
                    choices: vec![Choice {
                        label: "Add to cart".into(),
                        payload: payload::encode_add(id, &p.sku),
                    }],
                });
            }
            None => {
                self.say("Sorry, that product is not available.");
                self.reprompt_current();
            }
        }
    }
}
