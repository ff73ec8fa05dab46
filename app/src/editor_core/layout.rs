//! The canvas geometry, pure: where a node's card and ports are, the curve
//! of an edge, panning, zooming and fitting to the screen.
//!
//! Cards have a fixed width and row heights, so port positions follow from
//! the document alone and the browser never has to measure anything.

use crate::flow::doc::{FlowDoc, Node, NodeKind, Position};

/// Card width, in canvas pixels.
pub const CARD_W: f64 = 220.0;
/// Height of the card's title row.
pub const HEAD_H: f64 = 30.0;
/// Height of the card's summary.
pub const BODY_H: f64 = 40.0;
/// Height of one port row.
pub const PORT_H: f64 = 22.0;
/// Padding under the last port.
pub const FOOT_H: f64 = 6.0;
/// Smallest zoom.
pub const ZOOM_MIN: f64 = 0.15;
/// Largest zoom.
pub const ZOOM_MAX: f64 = 2.0;

/// A card's height, from its number of ports.
pub fn card_height(kind: &NodeKind) -> f64 {
    HEAD_H + BODY_H + kind.ports().len() as f64 * PORT_H + FOOT_H
}

/// Where the edge leaving port number `index` starts.
pub fn port_anchor(pos: Position, index: usize) -> (f64, f64) {
    (
        pos.x + CARD_W,
        pos.y + HEAD_H + BODY_H + index as f64 * PORT_H + PORT_H / 2.0,
    )
}

/// Where edges enter a card.
pub fn input_anchor(pos: Position) -> (f64, f64) {
    (pos.x, pos.y + HEAD_H / 2.0)
}

/// The SVG path of an edge: a horizontal S-curve from `a` to `b`, which
/// loops around when `b` lies behind `a`.
pub fn edge_path(a: (f64, f64), b: (f64, f64)) -> String {
    let dx = ((b.0 - a.0).abs() / 2.0).max(60.0);
    format!(
        "M{:.1} {:.1} C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}",
        a.0,
        a.1,
        a.0 + dx,
        a.1,
        b.0 - dx,
        b.1,
        b.0,
        b.1
    )
}

/// A rectangle in canvas pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// Whether two rectangles overlap.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// A node's card.
pub fn card_rect(node: &Node) -> Rect {
    Rect {
        x: node.position.x,
        y: node.position.y,
        w: CARD_W,
        h: card_height(&node.kind),
    }
}

/// The smallest rectangle around every card, or `None` for an empty flow.
pub fn bounds(doc: &FlowDoc) -> Option<Rect> {
    let mut it = doc.nodes.iter().map(card_rect);
    let first = it.next()?;
    let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x + first.w, first.y + first.h);
    for r in it {
        x0 = x0.min(r.x);
        y0 = y0.min(r.y);
        x1 = x1.max(r.x + r.w);
        y1 = y1.max(r.y + r.h);
    }
    Some(Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    })
}

/// How the canvas is shown: screen = canvas × zoom + (x, y).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// Horizontal shift, in screen pixels.
    pub x: f64,
    /// Vertical shift, in screen pixels.
    pub y: f64,
    /// Scale.
    pub zoom: f64,
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport {
            x: 40.0,
            y: 40.0,
            zoom: 1.0,
        }
    }
}

impl Viewport {
    /// The canvas point under a screen point.
    pub fn to_canvas(&self, sx: f64, sy: f64) -> (f64, f64) {
        ((sx - self.x) / self.zoom, (sy - self.y) / self.zoom)
    }

    /// Zooms by `factor`, keeping the canvas point under the screen point
    /// (`sx`, `sy`) where it is.
    pub fn zoom_at(&self, factor: f64, sx: f64, sy: f64) -> Viewport {
        let zoom = (self.zoom * factor).clamp(ZOOM_MIN, ZOOM_MAX);
        let (cx, cy) = self.to_canvas(sx, sy);
        Viewport {
            x: sx - cx * zoom,
            y: sy - cy * zoom,
            zoom,
        }
    }

    /// Shifts by a screen offset.
    pub fn pan(&self, dx: f64, dy: f64) -> Viewport {
        Viewport {
            x: self.x + dx,
            y: self.y + dy,
            zoom: self.zoom,
        }
    }

    /// The view that shows all of `r` in a `width` × `height` screen with
    /// `margin` pixels around it, never zoomed in past 100 %.
    pub fn fit(r: Rect, width: f64, height: f64, margin: f64) -> Viewport {
        let w = (width - 2.0 * margin).max(1.0);
        let h = (height - 2.0 * margin).max(1.0);
        let zoom = (w / r.w.max(1.0))
            .min(h / r.h.max(1.0))
            .clamp(ZOOM_MIN, 1.0);
        Viewport {
            x: (width - r.w * zoom) / 2.0 - r.x * zoom,
            y: (height - r.h * zoom) / 2.0 - r.y * zoom,
            zoom,
        }
    }

    /// The view that puts canvas point (`cx`, `cy`) in the middle of a
    /// `width` × `height` screen, at the current zoom.
    pub fn center_on(&self, cx: f64, cy: f64, width: f64, height: f64) -> Viewport {
        Viewport {
            x: width / 2.0 - cx * self.zoom,
            y: height / 2.0 - cy * self.zoom,
            zoom: self.zoom,
        }
    }

    /// The CSS transform of the canvas layer.
    pub fn css(&self) -> String {
        format!(
            "transform: translate({:.1}px, {:.1}px) scale({:.3})",
            self.x, self.y, self.zoom
        )
    }
}

/// A free spot for a new card near (`cx`, `cy`): the first place down and
/// to the right of it that overlaps no card.
pub fn free_spot(doc: &FlowDoc, cx: f64, cy: f64) -> Position {
    let cards: Vec<Rect> = doc.nodes.iter().map(card_rect).collect();
    let probe_h = HEAD_H + BODY_H + 3.0 * PORT_H + FOOT_H;
    for i in 0..200 {
        let x = (cx + f64::from(i % 5) * 40.0).round();
        let y = (cy + f64::from(i / 5) * 40.0).round();
        let r = Rect {
            x,
            y,
            w: CARD_W,
            h: probe_h,
        };
        if !cards.iter().any(|c| c.overlaps(&r)) {
            return Position { x, y };
        }
    }
    Position {
        x: cx.round(),
        y: cy.round(),
    }
}

/// A one-line description of what a node does, for its card.
pub fn summary(kind: &NodeKind) -> String {
    let or_dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    match kind {
        NodeKind::Message(s) => or_dash(&s.text),
        NodeKind::QuickReply(s) => or_dash(&s.text),
        NodeKind::ProductCarousel(s) => match &s.source {
            crate::commerce::ProductSource::All => "Shows every product".into(),
            crate::commerce::ProductSource::Collection { collection } => {
                format!("Shows the “{collection}” collection")
            }
            crate::commerce::ProductSource::Skus { skus } => {
                format!("Shows {} chosen product(s)", skus.len())
            }
            crate::commerce::ProductSource::Search { query } => {
                format!("Shows products matching “{query}”")
            }
        },
        NodeKind::Checkout(_) => "Confirms the cart and places the order".into(),
        NodeKind::Ask(s) => format!("{} → {{{{{}}}}}", or_dash(&s.text), s.save_as),
        NodeKind::Condition(s) => format!("Checks {} rule(s) in order", s.branches.len()),
        NodeKind::SetVariable(s) => format!("{{{{{}}}}} = {}", s.name, s.value),
        NodeKind::ShowCart(_) => "Shows the cart and total".into(),
        NodeKind::OrderStatus(_) => "Lists the shopper's latest orders".into(),
        NodeKind::Handoff(s) => or_dash(&s.text),
        NodeKind::HttpRequest(s) => format!("Calls {}", s.url),
        NodeKind::End(s) => or_dash(&s.text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor_core::edit::blank;

    fn node(id: &str, ty: &str, x: f64, y: f64) -> Node {
        Node {
            id: id.into(),
            position: Position { x, y },
            kind: blank(ty).unwrap(),
        }
    }

    #[test]
    fn ports_sit_on_the_right_edge_one_row_apart() {
        let p = Position { x: 100.0, y: 50.0 };
        let a = port_anchor(p, 0);
        let b = port_anchor(p, 1);
        assert_eq!(a.0, 100.0 + CARD_W);
        assert_eq!(b.1 - a.1, PORT_H);
        assert!(a.1 > p.y + HEAD_H + BODY_H);
        // The quick reply's two options and its fallback: three rows.
        let q = blank("quick_reply").unwrap();
        assert_eq!(card_height(&q), HEAD_H + BODY_H + 3.0 * PORT_H + FOOT_H);
        assert_eq!(input_anchor(p), (100.0, 50.0 + HEAD_H / 2.0));
    }

    #[test]
    fn edges_are_curves_between_their_anchors() {
        let d = edge_path((0.0, 0.0), (200.0, 100.0));
        assert!(d.starts_with("M0.0 0.0 C"));
        assert!(d.ends_with("200.0 100.0"));
    }

    #[test]
    fn zooming_keeps_the_point_under_the_cursor() {
        let v = Viewport {
            x: 30.0,
            y: -20.0,
            zoom: 1.0,
        };
        let before = v.to_canvas(400.0, 300.0);
        let z = v.zoom_at(1.5, 400.0, 300.0);
        let after = z.to_canvas(400.0, 300.0);
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
        assert_eq!(v.zoom_at(100.0, 0.0, 0.0).zoom, ZOOM_MAX);
        assert_eq!(v.zoom_at(0.0001, 0.0, 0.0).zoom, ZOOM_MIN);
    }

    #[test]
    fn fitting_shows_every_card() {
        let mut doc = FlowDoc {
            nodes: vec![
                node("a", "message", -500.0, 0.0),
                node("b", "end", 3000.0, 2000.0),
            ],
            ..Default::default()
        };
        let r = bounds(&doc).unwrap();
        let v = Viewport::fit(r, 1000.0, 600.0, 20.0);
        let (x0, y0) = (r.x * v.zoom + v.x, r.y * v.zoom + v.y);
        let (x1, y1) = ((r.x + r.w) * v.zoom + v.x, (r.y + r.h) * v.zoom + v.y);
        assert!(x0 >= 19.0 && y0 >= 19.0 && x1 <= 981.0 && y1 <= 581.0);
        // A small flow is not blown up past 100 %.
        doc.nodes.truncate(1);
        let v = Viewport::fit(bounds(&doc).unwrap(), 1000.0, 600.0, 20.0);
        assert_eq!(v.zoom, 1.0);
        assert!(bounds(&FlowDoc::default()).is_none());
    }

    #[test]
    fn new_cards_do_not_land_on_old_ones() {
        let doc = FlowDoc {
            nodes: vec![node("a", "message", 0.0, 0.0)],
            ..Default::default()
        };
        let p = free_spot(&doc, 0.0, 0.0);
        let new = Rect {
            x: p.x,
            y: p.y,
            w: CARD_W,
            h: 10.0,
        };
        assert!(!card_rect(&doc.nodes[0]).overlaps(&new));
        assert_eq!(
            free_spot(&FlowDoc::default(), 12.0, 7.0),
            Position { x: 12.0, y: 7.0 }
        );
    }
}
