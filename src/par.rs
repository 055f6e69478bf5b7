//! Work over a large slice on every core, with results kept in slice order.

/// Run `f` on consecutive shares of `items`, one share per core but at least
/// `min` items each (a small slice is one share, run on this thread), and
/// return the shares' results in order. `f` is given the index of its share's
/// first item. A share whose thread panicked is run again on this thread, so
/// that the panic surfaces as it would have without threads.
pub fn shares<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per = items.len().div_ceil(threads).max(min).max(1);
    if items.len() <= per {
        return vec![f(0, items)];
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per)
            .enumerate()
            .map(|(c, part)| (c * per, part, s.spawn(move || f(c * per, part))))
            .collect();
        handles
            .into_iter()
            .map(|(at, part, h)| h.join().unwrap_or_else(|_| f(at, part)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_keep_order_and_offsets() {
        let items: Vec<usize> = (0..10_000).collect();
        for min in [1, 7, 4096, 20_000] {
            let got: Vec<usize> = shares(&items, min, |at, part| {
                assert_eq!(part[0], at);
                part.to_vec()
            })
            .into_iter()
            .flatten()
            .collect();
            assert_eq!(got, items);
        }
        assert_eq!(shares(&[] as &[u8], 4, |_, p| p.len()), vec![0]);
    }
}
