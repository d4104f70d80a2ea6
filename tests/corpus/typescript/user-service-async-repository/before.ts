import { Injectable, Logger } from '@nestjs/common';
import { CacheStore } from '../cache/cache-store';
import { User } from './user.entity';
import { UserRepository } from './user.repository';

@Injectable()
export class UserService {
  private readonly logger = new Logger(UserService.name);

  constructor(
    private readonly repo: UserRepository,
    private readonly cache: CacheStore<User>,
  ) {}

  getUser(id: string, bypassCache = false): User | undefined {
    if (!bypassCache) {
      const cached = this.cache.get(id);
      if (cached) {
        return cached;
      }
    }
    const user = this.repo.findByIdSync(id);
    if (user) {
      this.cache.set(id, user);
    }
    return user;
  }

  displayName(user: User): string {
    const full = [user.firstName, user.lastName].filter(Boolean).join(' ');
    return full || user.email;
  }

  invalidate(id: string): void {
    this.cache.delete(id);
    this.logger.debug(`evicted user ${id} from cache`);
  }
}
