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
     * Opens a new account for the owner in the given ISO 4217 currency.
     */
    Account open(long ownerId, String currency);

    /**
     * Lists the accounts of an owner, optionally including closed ones.
     */
    List<Account> listForOwner(long ownerId, boolean includeClosed);

    /**
     * Moves money between two accounts of the same currency.
     */
    void transfer(long fromId, long toId, BigDecimal amount);

    /**
     * Closes the account; the reason is kept for the audit log.
     */
    Account close(String reason, long accountId);

    /**
     * Current balance of the account.
     */
    BigDecimal balance(long accountId);
}
