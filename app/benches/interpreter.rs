//! Interpreter throughput: steps per second through the shop template, a
//! realistic flow, with a 200-product catalog. Each iteration is one whole
//! purchase (greeting, browsing, cart, delivery details, confirmation,
//! payment choice), so criterion's throughput line reads as steps/s.

use app::commerce::{CatalogView, Currency, Money, Product};
use app::flow::interpreter::{Ctx, Input, Session, ValidFlow, step};
use app::flow::templates;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn catalog() -> CatalogView {
    let usd = Currency::parse("USD").unwrap_or(Currency::XXX);
    CatalogView::new((0..200).map(|i| Product {
        sku: format!("SKU-{i}"),
        name: format!("Product number {i}"),
        description: "A realistic description of a product, long enough to matter.".into(),
        price: Money::new(1_000 + i * 7, usd),
        image_url: Some(format!("https://img.example/{i}.jpg")),
        stock: Some(1_000),
        active: true,
        collections: vec![if i % 2 == 0 {
            "Shoes".into()
        } else {
            "Extras".into()
        }],
    }))
}

fn script() -> Vec<Input> {
    let text = |t: &str| Input::Text { text: t.into() };
    vec![
        text("hi"),
        text("Browse products"),
        Input::Payload {
            payload: "b1|m|catalog|1".into(),
        },
        Input::Payload {
            payload: "b1|a|catalog|SKU-12".into(),
        },
        text("Keep shopping"),
        Input::Payload {
            payload: "b1|a|catalog|SKU-31".into(),
        },
        text("Checkout"),
        text("Ana Lima"),
        text("Rua Augusta 100, 1100-053 Lisboa"),
        text("+351 912 345 678"),
        text("yes"),
        text("cash"),
    ]
}

fn run_once(flow: &ValidFlow, catalog: &CatalogView, inputs: &[Input]) -> usize {
    let mut session = Session::default();
    let mut orders = 0;
    for (i, input) in inputs.iter().enumerate() {
        let event = i.to_string();
        let ctx = Ctx {
            now_ms: 0,
            conversation: "bench",
            event_id: &event,
            catalog,
            orders: &[],
            contact: None,
        };
        let out = step(flow, session, input.clone(), &ctx);
        orders += out
            .effects
            .iter()
            .filter(|e| matches!(e, app::flow::Effect::PlaceOrder { .. }))
            .count();
        session = out.session;
    }
    orders
}

fn bench(c: &mut Criterion) {
    let flow = match ValidFlow::compile(templates::shop()) {
        Ok(f) => f,
        Err(r) => panic!("the shop template must validate: {:?}", r.problems),
    };
    let catalog = catalog();
    let inputs = script();
    assert_eq!(
        run_once(&flow, &catalog, &inputs),
        1,
        "the script must complete a purchase"
    );
    let mut group = c.benchmark_group("interpreter");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("shop_purchase_steps", |b| {
        b.iter(|| run_once(&flow, &catalog, &inputs))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
