package com.example.shop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Tracks stock levels per SKU and the reservations made against them.
 */
public class Inventory {
    private static final int LOW_STOCK = 5;

    private final Map<String, Integer> stock = new HashMap<>();
    private final Map<String, List<Reservation>> reservations = new HashMap<>();

    public record Reservation(String orderId, String sku, int quantity) {}

    public enum Level { OUT, LOW, OK }

    public Inventory() {}

    public void receive(String sku, int quantity) {
        if (quantity <= 0) {
            throw new IllegalArgumentException("quantity must be positive: " + quantity);
        }
        stock.merge(sku, quantity, Integer::sum);
    }

    public int available(String sku) {
        int onHand = stock.getOrDefault(sku, 0);
        int reserved = reservations.getOrDefault(sku, List.of()).stream()
                .mapToInt(Reservation::quantity)
                .sum();
        return onHand - reserved;
    }

    /**
     * Reserves stock for an order; returns empty when there is not enough.
     */
    public Optional<Reservation> reserve(String orderId, String sku, int quantity) {
        if (available(sku) < quantity) {
            return Optional.empty();
        }
        Reservation r = new Reservation(orderId, sku, quantity);
        reservations.computeIfAbsent(sku, k -> new ArrayList<>()).add(r);
        return Optional.of(r);
    }

    public boolean release(Reservation r) {
        List<Reservation> list = reservations.get(r.sku());
        return list != null && list.remove(r);
    }

    public void ship(Reservation r) {
        if (!release(r)) {
            throw new IllegalStateException("unknown reservation " + r.orderId());
        }
        stock.computeIfPresent(r.sku(), (k, v) -> v - r.quantity());
    }

    public Level level(String sku) {
        int n = available(sku);
        if (n <= 0) {
            return Level.OUT;
        }
        return n < LOW_STOCK ? Level.LOW : Level.OK;
    }

    interface Listener {
        void onLowStock(String sku, int remaining);
    }
}
