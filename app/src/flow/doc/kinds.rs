//! The node types and their settings, exactly as they are stored in the
//! JSON. Data only: what each type does (its ports, whether it waits) is
//! in `ports`, and checking settings is validation's job.

use serde::{Deserialize, Serialize};

use super::MAX_PAGE_SIZE;
use crate::commerce::ProductSource;

/// The node types, each with its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "settings", rename_all = "snake_case")]
pub enum NodeKind {
    /// Sends text, optionally with an image.
    Message(MessageSettings),
    /// Asks a question with buttons.
    QuickReply(QuickReplySettings),
    /// Shows product cards.
    ProductCarousel(CarouselSettings),
    /// Confirms the cart and places the order.
    Checkout(CheckoutSettings),
    /// Collects a typed answer into a variable.
    Ask(AskSettings),
    /// Branches on variables or the cart.
    Condition(ConditionSettings),
    /// Sets a variable.
    SetVariable(SetVariableSettings),
    /// Shows the cart.
    ShowCart(ShowCartSettings),
    /// Tells the shopper how their orders are doing.
    OrderStatus(OrderStatusSettings),
    /// Hands the conversation to a person.
    Handoff(HandoffSettings),
    /// Calls the merchant's own API.
    HttpRequest(HttpRequestSettings),
    /// Ends the conversation.
    End(EndSettings),
}

/// `message` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct MessageSettings {
    /// The text; `{{variables}}` are filled in.
    pub text: String,
    /// A picture sent with the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// One button of a quick reply; its `id` is also the name of its port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ChoiceOption {
    /// Port name, unique in the node.
    pub id: String,
    /// What the shopper sees.
    pub label: String,
}

/// `quick_reply` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct QuickReplySettings {
    /// The question.
    pub text: String,
    /// The buttons, in order.
    pub options: Vec<ChoiceOption>,
    /// Stores the chosen label in this variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
    /// Said before asking again when the answer matched no option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<String>,
}

/// `product_carousel` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CarouselSettings {
    /// Said above the cards.
    #[serde(default)]
    pub text: String,
    /// Which products to show.
    #[cfg_attr(feature = "ssr", schemars(with = "serde_json::Value"))]
    pub source: ProductSource,
    /// Cards per page (1 to 10, as many as a Messenger carousel holds).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_page_size() -> u32 {
    MAX_PAGE_SIZE
}

impl Default for CarouselSettings {
    fn default() -> Self {
        CarouselSettings {
            text: String::new(),
            source: ProductSource::All,
            page_size: default_page_size(),
        }
    }
}

/// How a checkout lets the shopper pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentOptions {
    /// Cash on delivery only.
    #[default]
    CashOnDelivery,
    /// The hosted order page only.
    OrderPage,
    /// Let the shopper choose.
    Both,
}

/// `checkout` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CheckoutSettings {
    /// Said above the order summary.
    #[serde(default)]
    pub text: String,
    /// Payment choices.
    #[serde(default)]
    pub payment: PaymentOptions,
    /// Said when the order is placed; `{{order.number}}` and `{{order.url}}`
    /// are filled in.
    #[serde(default)]
    pub confirmation: String,
}

/// What an `ask` node expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AskKind {
    /// Any non-empty text.
    #[default]
    Text,
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// A number.
    Number,
    /// A postal address.
    Address,
}

/// `ask` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct AskSettings {
    /// The question.
    pub text: String,
    /// What kind of answer is valid.
    #[serde(default)]
    pub kind: AskKind,
    /// The variable the answer is stored in.
    pub save_as: String,
    /// Said before asking again after an invalid answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprompt: Option<String>,
    /// Invalid answers accepted before taking the `invalid` port (1 to 10).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn default_attempts() -> u32 {
    3
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// A variable's value.
    Variable {
        /// Its name.
        name: String,
    },
    /// The cart's total in the currency's main unit, with its decimals:
    /// `12.50` for $12.50 (not 1250 cents); compare with values like `100`
    /// or `49.99`.
    CartTotal,
    /// The number of units in the cart.
    CartCount,
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Equal (text: ignoring case and accents).
    Equals,
    /// Not equal.
    NotEquals,
    /// Text contains the value.
    Contains,
    /// Numerically greater.
    GreaterThan,
    /// Numerically less.
    LessThan,
    /// Has a non-empty value.
    IsSet,
    /// Has no value.
    IsEmpty,
    /// The shopper's contact has the tag named by the value (the subject
    /// is not looked at).
    HasTag,
}

/// One branch of a condition; its `id` is also the name of its port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Branch {
    /// Port name, unique in the node.
    pub id: String,
    /// What the merchant calls it.
    #[serde(default)]
    pub label: String,
    /// What is compared.
    pub subject: Subject,
    /// How.
    pub op: Comparison,
    /// With what (ignored by `is_set` / `is_empty`; the tag for `has_tag`).
    #[serde(default)]
    pub value: String,
}

/// `condition` settings: the first branch that holds wins, else `else`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ConditionSettings {
    /// The branches, tried in order.
    pub branches: Vec<Branch>,
}

/// `set_variable` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SetVariableSettings {
    /// The variable.
    pub name: String,
    /// Its new value; `{{variables}}` are filled in.
    pub value: String,
}

/// `show_cart` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ShowCartSettings {
    /// Said above the cart.
    #[serde(default)]
    pub text: String,
    /// Said when the cart is empty.
    #[serde(default)]
    pub empty_text: String,
}

/// `order_status` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct OrderStatusSettings {
    /// Said above the list of orders.
    #[serde(default)]
    pub text: String,
    /// Said when the shopper has no orders.
    #[serde(default)]
    pub none_text: String,
}

/// `handoff` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct HandoffSettings {
    /// Said to the shopper.
    pub text: String,
}

/// An HTTP method for `http_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// GET.
    #[default]
    Get,
    /// POST with a JSON body.
    Post,
}

/// `http_request` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct HttpRequestSettings {
    /// GET or POST.
    #[serde(default)]
    pub method: HttpMethod,
    /// The https URL; `{{variables}}` are filled in.
    pub url: String,
    /// JSON body for POST; `{{variables}}` are filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The response body is stored in this variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
}

/// `end` settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct EndSettings {
    /// A goodbye, if any.
    #[serde(default)]
    pub text: String,
}
