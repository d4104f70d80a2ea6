package com.acme.accounts.user;

import java.net.URI;

import org.springframework.stereotype.Service;

@Service
public class UserService {

    private static final URI DEFAULT_AVATAR = URI.create("https://cdn.acme.example/avatars/default.png");

    private final UserRepository repository;
    private final AvatarClient avatars;

    public UserService(UserRepository repository, AvatarClient avatars) {
        this.repository = repository;
        this.avatars = avatars;
    }

    /**
     * Returns the user with the given id, or null when there is none.
     */
    public User findUser(long id) {
        return repository.findById(id).orElse(null);
    }

    public void changeEmail(long id, String email) {
        User user = findUser(id);
        if (user == null) {
            throw new UserNotFoundException(id);
        }
        user.setEmail(email.trim().toLowerCase());
        repository.save(user);
    }

    public String displayName(long id) {
        User user = findUser(id);
        return user == null ? "unknown" : user.getFirstName() + " " + user.getLastName();
    }

    public URI avatarOf(long id) {
        URI avatar;
        try {
            avatar = avatars.lookup(id);
        } catch (AvatarNotFoundException e) {
            avatar = DEFAULT_AVATAR;
        }
        return avatar;
    }
}
