# frozen_string_literal: true

require 'bigdecimal'
require_relative 'ledger'

module Banking
  class InsufficientFunds < StandardError; end

  # An account with a balance and a transaction history.
  class BankAccount
    attr_reader :owner, :balance

    MINIMUM_BALANCE = BigDecimal('0')

    def initialize(owner, opening_balance = 0)
      @owner = owner
      @balance = BigDecimal(opening_balance.to_s)
      @ledger = Ledger.new
    end

    def deposit(amount)
      raise ArgumentError, 'amount must be positive' unless amount.positive?

      @balance += amount
      @ledger.record(:deposit, amount)
      self
    end

    def withdraw(amount)
      if @balance - amount < MINIMUM_BALANCE
        raise InsufficientFunds, "cannot withdraw #{amount} from #{@balance}"
      end

      @balance -= amount
      @ledger.record(:withdrawal, amount)
      self
    end

    def transfer(to, amount)
      withdraw(amount)
      to.deposit(amount)
    rescue InsufficientFunds => e
      @ledger.record(:failed_transfer, amount, reason: e.message)
      raise
    end

    def statement
      @ledger.entries.map do |entry|
        format('%-12<kind>s %10.2<amount>f', kind: entry.kind, amount: entry.amount)
      end.join("\n")
    end

    def self.open(owner, deposit:)
      new(owner).deposit(deposit)
    end

    class << self
      def bank_name
        'Example Bank'
      end
    end
  end

  def self.total(accounts)
    accounts.sum(&:balance)
  end
end
