using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace Shop.Orders
{
    /// <summary>The states an order moves through.</summary>
    public enum OrderStatus { Pending, Paid, Shipped, Cancelled }

    public record OrderLine(string Sku, int Quantity, decimal UnitPrice);

    public interface IPaymentGateway
    {
        Task<bool> ChargeAsync(Guid orderId, decimal amount);
    }

    public class Order
    {
        public Guid Id { get; } = Guid.NewGuid();
        public List<OrderLine> Lines { get; } = new();
        public OrderStatus Status { get; set; } = OrderStatus.Pending;

        public decimal Total => Lines.Sum(l => l.Quantity * l.UnitPrice);
    }

    /// <summary>
    /// Places, pays and cancels orders.
    /// </summary>
    public class OrderService
    {
        private readonly IPaymentGateway _payments;
        private readonly Dictionary<Guid, Order> _orders = new();

        public OrderService(IPaymentGateway payments)
        {
            _payments = payments ?? throw new ArgumentNullException(nameof(payments));
        }

        public Order Place(IEnumerable<OrderLine> lines)
        {
            var order = new Order();
            order.Lines.AddRange(lines);
            if (order.Lines.Count == 0)
            {
                throw new ArgumentException("an order needs at least one line");
            }
            _orders[order.Id] = order;
            return order;
        }

        public async Task<bool> PayAsync(Guid orderId)
        {
            if (!_orders.TryGetValue(orderId, out var order))
            {
                return false;
            }
            if (order.Status != OrderStatus.Pending)
            {
                throw new InvalidOperationException($"order {orderId} is {order.Status}");
            }
            bool charged = await _payments.ChargeAsync(orderId, order.Total);
            if (charged)
            {
                order.Status = OrderStatus.Paid;
            }
            return charged;
        }

        public bool Cancel(Guid orderId)
        {
            if (_orders.TryGetValue(orderId, out var order) && order.Status == OrderStatus.Pending)
            {
                order.Status = OrderStatus.Cancelled;
                return true;
            }
            return false;
        }

        public IReadOnlyList<Order> Pending() =>
            _orders.Values.Where(o => o.Status == OrderStatus.Pending).ToList();
    }
}
