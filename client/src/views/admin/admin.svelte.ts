/** Organisations and staff accounts, as the admin page shows and changes them. */
import type { AdminOrganisationView, StaffUserView } from '../../../../shared/api/admin.ts';
import { listOrganisations, listStaffUsers } from '../../lib/api.ts';

export class AdminState {
  organisations = $state<AdminOrganisationView[]>([]);
  users = $state<StaffUserView[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);

  async load(): Promise<void> {
    this.error = null;
    try {
      const [organisations, users] = await Promise.all([listOrganisations(), listStaffUsers()]);
      this.organisations = organisations.items;
      this.users = users.items;
      this.loaded = true;
    } catch (error) {
      this.error = error;
    }
  }

  organisation(id: string): AdminOrganisationView | undefined {
    return this.organisations.find((org) => org.id === id);
  }

  replaceUser(user: StaffUserView): void {
    const index = this.users.findIndex((u) => u.id === user.id);
    if (index >= 0) this.users[index] = user;
    else this.users.push(user);
  }
}
