import type { ScimClient } from './scim-client.ts'
import { createUser } from './scim-fixtures.ts'

/**
 * Five users with known attributes, for list, filter and sort tests. Created in this order
 * (so `meta.created` ascends anna → eve). Keys are short names.
 */
export const PEOPLE = {
  anna: {
    userName: 'Anna.Smith@example.com',
    externalId: 'ext-anna',
    displayName: 'Anna Smith',
    name: { givenName: 'Anna', familyName: 'Smith' },
    title: 'Engineer',
    active: true,
    emails: [
      { value: 'anna@work.example', type: 'work', primary: true },
      { value: 'anna@home.example', type: 'home' },
    ],
  },
  bob: {
    userName: 'bob.jones@example.com',
    externalId: 'ext-bob',
    name: { givenName: 'Bob', familyName: 'Jones' },
    title: 'Manager',
    active: false,
    emails: [{ value: 'bob@work.example', type: 'work' }],
  },
  carl: {
    userName: 'carl.adams@example.org',
    name: { givenName: 'Carl', familyName: 'Adams' },
    active: true,
    emails: [{ value: 'carl@home.example', type: 'home' }],
  },
  dora: {
    userName: 'dora.zed@example.org',
    name: { givenName: 'Dora', familyName: 'Zed' },
    title: 'Engineer lead',
    active: true,
  },
  eve: {
    userName: 'Eve.Brown@Example.com',
    name: { givenName: 'Eve', familyName: 'brown' },
    title: 'engineer',
    active: true,
  },
} as const

export type Person = keyof typeof PEOPLE

/** Creates the five users in order; returns their ids by short name. */
export async function seedPeople(scim: ScimClient): Promise<Record<Person, string>> {
  const ids = {} as Record<Person, string>
  for (const [key, person] of Object.entries(PEOPLE) as [Person, (typeof PEOPLE)[Person]][]) {
    ids[key] = String((await createUser(scim, person.userName, { ...person })).id)
  }
  return ids
}

/** Short names of the people whose userNames are listed, in the same order. */
export function peopleOf(userNames: readonly string[]): string[] {
  const byName = new Map<string, string>(
    Object.entries(PEOPLE).map(([key, p]) => [p.userName, key]),
  )
  return userNames.map((u) => byName.get(u) ?? `?${u}`)
}
