package com.acme.banking.account;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/**
 * Application service for customer accounts. Implementations are transactional.
 */
public interface AccountService {

    /**
     * Looks up the account registered with the given e-mail address.
     */
    Optional<Account> findByEmail(String email);

    /**
     * Opens a new account for the owner in the given currency.
     */
    Account open(long ownerId, CurrencyCode currency);

    /**
     * Lists the accounts of a customer, optionally including closed ones.
     */
    List<Account> listForOwner(long customerId, boolean includeClosed);

    /**
     * Moves money between two accounts of the same currency and returns the receipt.
     */
    TransferReceipt transfer(long fromId, long toId, BigDecimal amount);

    /**
     * Closes the account; the reason is kept for the audit log.
     */
    Account close(long accountId, String reason);

    /**
     * Current balance of the account.
     */
    BigDecimal balance(long accountId);
}
