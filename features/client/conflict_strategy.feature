@booklore-plugin
Feature: Conflict strategy
  When a pull finds remote progress that differs from the local position, the
  plugin looks at which way it lies: remote ahead of local is "Sync to a newer
  state", remote behind local is "Sync to an older state". Each direction has
  its own strategy: Silently (apply), Prompt (ask first) or Disable (never
  apply). Defaults: newer Prompt, older Disable.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected

  @C-CONF-1 @C-CONF-2
  Rule: Each direction has its own strategy; the defaults are newer Prompt and older Disable

    Scenario Outline: With default strategies, remote <remote> against local 50% is the <direction> direction
      Given the conflict strategies are left at their defaults
      And the server holds progress <remote> for book A
      When the reader opens book A at 50%
      Then <outcome>
      And the reader stays at 50%

      Examples:
        | remote | direction | outcome                                                 |
        | 0.80   | newer     | the user is asked whether to jump to 80%, a newer state |
        | 0.20   | older     | the user is not asked anything                          |

    Scenario: The two directions are configured separately
      Given "Sync to a newer state" is set to Disable
      And "Sync to an older state" is set to Silently
      And the server holds progress 0.20 for book A
      When the reader opens book A at 50%
      Then the reader is moved to 20%
      And the user is not asked anything

  @C-CONF-3
  Rule: Silently applies the remote position without asking

    Scenario Outline: Silently, <direction> direction
      Given "Sync to a <direction> state" is set to Silently
      And the server holds progress <remote> for book A
      When the reader opens book A at 50%
      Then the reader is moved to <remote_percent>
      And the user is not asked anything

      Examples:
        | direction | remote | remote_percent |
        | newer     | 0.80   | 80%            |
        | older     | 0.20   | 20%            |

  @C-CONF-4
  Rule: Prompt asks; the remote position is applied only if the user confirms

    Scenario Outline: Prompt, <direction> direction, the user <answer>
      Given "Sync to a <direction> state" is set to Prompt
      And the server holds progress <remote> for book A
      When the reader opens book A at 50%
      Then the user is asked whether to jump to <remote_percent>, <state>
      And the reader stays at 50%
      When the user <answer>
      Then the reader is at <final>

      Examples:
        | direction | remote | remote_percent | state          | answer   | final |
        | newer     | 0.80   | 80%            | a newer state  | confirms | 80%   |
        | newer     | 0.80   | 80%            | a newer state  | declines | 50%   |
        | older     | 0.20   | 20%            | an older state | confirms | 20%   |
        | older     | 0.20   | 20%            | an older state | declines | 50%   |

  @C-CONF-5
  Rule: Disable never applies that direction and asks nothing

    Scenario Outline: Disable, <direction> direction
      Given "Sync to a <direction> state" is set to Disable
      And "Sync to a <other> state" is set to Silently
      And the server holds progress <remote> for book A
      When the reader opens book A at 50%
      Then the user is not asked anything
      And the reader stays at 50%

      Examples:
        | direction | other | remote |
        | newer     | older | 0.80   |
        | older     | newer | 0.20   |

  @C-CONF-6
  Rule: Interpretation: direction compares percentages; equal when floored to 4 decimals or when the markers are identical
    Interpretation: the source does not say how "ahead" and "behind" are
    decided. The contract compares `percentage` (KOReader's built-in sync
    compares timestamps instead; a profile may declare that). Positions whose
    percentages agree to 4 decimals (floored), or whose progress markers are
    the same string, are the same position: nothing is applied, nothing asked.

    Scenario Outline: Remote <remote> against local 50% counts as <relation>
      Given "Sync to a newer state" is set to Silently
      And "Sync to an older state" is set to Silently
      And the server holds progress <remote> with marker "<marker>" for book A
      When the reader opens book A at 50%
      Then <outcome>
      And the user is not asked anything

      Examples:
        | remote  | marker                           | relation            | outcome                        |
        | 0.50009 | /body/DocFragment[9]/p[4]/text() | equal (4 decimals)  | the reader stays at 50%        |
        | 0.50015 | /body/DocFragment[9]/p[4]/text() | newer               | the reader is moved to 50.015% |
        | 0.49985 | /body/DocFragment[9]/p[4]/text() | older               | the reader is moved to 49.985% |
        | 0.73    | 50                               | equal (same marker) | the reader stays at 50%        |

    Scenario: The remote timestamp does not decide the direction
      Given "Sync to an older state" is set to Disable
      And the server holds progress 0.20 for book A, stamped 1 hour ahead of the reader's clock
      When the reader opens book A at 50%
      Then the user is not asked anything
      And the reader stays at 50%
