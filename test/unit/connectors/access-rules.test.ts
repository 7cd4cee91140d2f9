import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { loadConfiguration } from '../../../src/config/load-configuration.ts'
import {
  planGrants,
  readAccessRules,
  ruleMatches,
  type AccessRule,
} from '../../../src/connectors/access-rules.ts'
import { checkGroupName, isGuidName } from '../../../src/connectors/group-names.ts'

const CONNECTORS = join(import.meta.dirname, '..', '..', '..', 'connectors')
const ROLES = ['Super Admin', 'Backup Admin', 'Helpdesk Admin']
const UNITS = ['Global', 'Prod']

const backup: AccessRule = {
  name: 'b',
  anyOf: ['Ops', 'Backup'],
  role: 'Backup Admin',
  units: ['Prod'],
}
const helpdesk: AccessRule = {
  name: 'h',
  allOf: ['Helpdesk', 'Staff'],
  role: 'Helpdesk Admin',
  units: ['Prod', 'Global'],
}

describe('connectors/access-rules', () => {
  it('reads rules naming declared roles and units', () => {
    const { rules, problems } = readAccessRules(
      [{ name: 'b', anyOf: ['Ops'], role: 'Backup Admin', organizationalUnits: ['Prod'] }],
      ROLES,
      UNITS,
    )
    expect(problems).to.deep.equal([])
    expect(rules).to.deep.equal([
      { name: 'b', anyOf: ['Ops'], role: 'Backup Admin', units: ['Prod'] },
    ])
  })

  it('reports every problem with the keys it sits at', () => {
    const { rules, problems } = readAccessRules(
      [
        { name: 'x', anyOf: ['Ops'], role: 'Nope', organizationalUnits: ['Mars'] },
        { name: 'x', anyOf: ['Ops'], allOf: ['B'], role: 'Backup Admin', organizationalUnits: [] },
        { anyOf: 'Ops', role: 'Backup Admin', organizationalUnits: ['Prod'], extra: 1 },
        'not a rule',
      ],
      ROLES,
      UNITS,
    )
    expect(rules).to.deep.equal([])
    const text = problems.map((p) => `${p.keys.join('.')}: ${p.message}`)
    expect(text).to.include.members([
      '0.role: x: unknown role "Nope" (known: Super Admin, Backup Admin, Helpdesk Admin)',
      '0.organizationalUnits: x: unknown organizational unit "Mars" (known: Global, Prod)',
      '1.name: x: the name is used twice',
      '1: x: give exactly one of anyOf or allOf',
      '1.organizationalUnits: x: organizationalUnits must list one or more units',
      '2.extra: rule 3: unknown key extra',
      '2: rule 3: needs a name',
      '2.anyOf: rule 3: anyOf must list group names',
      '3: rule 4 must be a mapping',
    ])
    expect(readAccessRules({}, ROLES, UNITS).problems[0]?.message).to.equal(
      'must be a list of rules',
    )
  })

  it('matches anyOf and allOf on direct group names, exactly', () => {
    expect(ruleMatches(backup, new Set(['Backup']))).to.equal(true)
    expect(ruleMatches(backup, new Set(['backup']))).to.equal(false)
    expect(ruleMatches(helpdesk, new Set(['Helpdesk']))).to.equal(false)
    expect(ruleMatches(helpdesk, new Set(['Helpdesk', 'Staff', 'Other']))).to.equal(true)
  })

  it('plans grants to add and removes only what a rule could have given', () => {
    const plan = planGrants([backup, helpdesk], new Set(['Helpdesk', 'Staff']), [
      { role: 'Backup Admin', unit: 'Prod' },
      { role: 'Helpdesk Admin', unit: 'Prod' },
      { role: 'Super Admin', unit: 'Global' },
    ])
    expect(plan.add).to.deep.equal([{ role: 'Helpdesk Admin', unit: 'Global' }])
    expect(plan.remove).to.deep.equal([{ role: 'Backup Admin', unit: 'Prod' }])
    expect(
      planGrants([backup], new Set(['Ops']), [{ role: 'Backup Admin', unit: 'Prod' }]),
    ).to.deep.include({
      add: [],
      remove: [],
    })
  })

  it('recognises bare GUID group names and explains the mailNickname mapping', () => {
    expect(isGuidName('6f1c1b36-6d35-4c2e-9a57-0a1f3f1e2d01')).to.equal(true)
    expect(isGuidName(' {6F1C1B36-6D35-4C2E-9A57-0A1F3F1E2D01} ')).to.equal(true)
    expect(isGuidName('Team 6f1c1b36-6d35-4c2e-9a57-0a1f3f1e2d01')).to.equal(false)
    expect(() => checkGroupName('6f1c1b36-6d35-4c2e-9a57-0a1f3f1e2d01', 'Clumio'))
      .to.throw(/mailNickname/)
      .with.property('status', 400)
  })

  it('refuses, at load, a tenant whose Clumio rules name unknown roles or units, with file:line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'access-rules-'))
    try {
      const tenant = [
        'tenant: acme',
        'connections:',
        '  clumio:',
        '    connector: clumio',
        '    baseUrl: http://127.0.0.1:9',
        '    secrets: { apiToken: "${env:T}" }',
        '    settings:',
        '      organizationalUnits: [Global, Prod]',
        '      accessRules:',
        '        - name: good',
        '          anyOf: [Ops]',
        '          role: Backup Admin',
        '          organizationalUnits: [Prod]',
        '        - name: bad',
        '          anyOf: [Ops]',
        '          role: Wizard',
        '          organizationalUnits: [Mars]',
        '',
      ].join('\n')
      await writeFile(join(dir, 'acme.yaml'), tenant)
      const result = await loadConfiguration(
        { tenantsDir: dir, connectorsDir: CONNECTORS },
        { T: 'x' },
      )
      expect(result.ok).to.equal(false)
      const problems = result.ok ? [] : result.problems
      expect(problems.map((p) => [p.line, p.message])).to.deep.equal([
        [
          16,
          'connections.clumio.settings.accessRules: bad: unknown role "Wizard" (known: Super Admin, Organizational Unit Admin, Backup Admin, Helpdesk Admin, Reporting Admin)',
        ],
        [
          17,
          'connections.clumio.settings.accessRules: bad: unknown organizational unit "Mars" (known: Global, Prod)',
        ],
      ])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
