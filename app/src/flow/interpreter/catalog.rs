//! Catalog: product carousels, their pages and the buttons under their
//! cards (add to cart, details, more, done).

use super::{Next, Run, Status};
use crate::channel::{Card, CardButton, Choice, Outbound};
use crate::flow::doc::{CarouselSettings, MAX_PAGE_SIZE, NodeId};
use crate::flow::payload::Payload;
use crate::flow::text::normalize;

impl Run<'_> {
    pub(super) fn show_page(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) -> Next {
        let catalog = self.ctx.catalog;
        let products = catalog.select(&s.source);
        let size = s.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        if products.is_empty() {
            self.say("Sorry, there is nothing to show here right now.");
            return Next::Port("done");
        }
        let pages = products.len().div_ceil(size);
        let page = (page as usize).min(pages - 1);
        let cards = products
            .iter()
            .skip(page * size)
            .take(size)
            .map(|p| {
                let mut subtitle = p.price.to_string();
                if p.stock == Some(0) {
                    subtitle.push_str(" · Sold out");
                } else if !p.description.trim().is_empty() {
                    subtitle.push_str(" · ");
                    subtitle.push_str(p.description.trim());
                }
                Card {
                    title: p.name.clone(),
                    subtitle,
                    image_url: p.image_url.clone(),
                    buttons: vec![
                        CardButton::Postback {
                            label: "Add to cart".into(),
                            payload: Payload::Add {
                                node: id.clone(),
                                sku: p.sku.clone(),
                            }
                            .encode(),
                        },
                        CardButton::Postback {
                            label: "Details".into(),
                            payload: Payload::Details {
                                node: id.clone(),
                                sku: p.sku.clone(),
                            }
                            .encode(),
                        },
                    ],
                }
            })
            .collect();
        self.s.node = Some(id.clone());
        self.s.status = Status::Waiting;
        self.s.page = page as u32;
        let choices = self.carousel_choice_list(id, s, page as u32);
        self.send(Outbound::Cards {
            text: self.fill(&s.text),
            cards,
            choices,
        });
        Next::Wait
    }

    fn carousel_choice_list(&self, id: &NodeId, s: &CarouselSettings, page: u32) -> Vec<Choice> {
        let size = s.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        let total = self.ctx.catalog.select(&s.source).len();
        let has_more = (page as usize + 1) * size < total || self.flow.target(id, "more").is_some();
        let mut choices = Vec::new();
        if has_more {
            choices.push(Choice {
                label: "More".into(),
                payload: Payload::More {
                    node: id.clone(),
                    page: page + 1,
                }
                .encode(),
            });
        }
        choices.push(Choice {
            label: "Done".into(),
            payload: Payload::Done { node: id.clone() }.encode(),
        });
        choices
    }

    pub(super) fn carousel_choices(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) {
        let choices = self.carousel_choice_list(id, s, page);
        self.send(Outbound::Choices {
            text: "What next?".into(),
            choices,
        });
    }

    pub(super) fn more(&mut self, id: &NodeId, s: &CarouselSettings, page: u32) {
        self.s.node = Some(id.clone());
        self.s.status = Status::Waiting;
        if self.flow.target(id, "more").is_some() {
            self.proceed(Next::Port("more"));
            return;
        }
        let size = s.page_size.clamp(1, MAX_PAGE_SIZE) as usize;
        let total = self.ctx.catalog.select(&s.source).len();
        if page as usize * size >= total {
            self.say("That's everything we have here.");
            self.carousel_choices(id, s, self.s.page);
            return;
        }
        if let Next::Port(p) = self.show_page(id, s, page) {
            self.proceed(Next::Port(p));
        }
    }

    /// Typed text at a carousel: "more", "done", or a hint.
    pub(super) fn carousel_text(&mut self, id: &NodeId, s: &CarouselSettings, text: &str) {
        let n = normalize(text);
        if ["more", "next", "show more", "see more"].contains(&n.as_str()) {
            self.more(id, s, self.s.page + 1);
        } else if ["done", "finish", "that s all", "thats all", "no"].contains(&n.as_str()) {
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
                self.s.node = Some(id.clone());
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
        match self.ctx.catalog.get(sku).filter(|p| p.active).cloned() {
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
                        payload: Payload::Add {
                            node: id.clone(),
                            sku: p.sku.clone(),
                        }
                        .encode(),
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
