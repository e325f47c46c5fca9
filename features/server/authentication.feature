Feature: Authentication
  KOReader signs every request with two headers: `x-auth-user` (the user name)
  and `x-auth-key` (the lowercase hex MD5 of the password). The server checks
  them on every route and refuses anything else, without storing or revealing
  progress.

  Background:
    Given a book "A"

  @S-AUTH-1 @booklore
  Rule: Valid credentials are confirmed with the user's name

    Scenario: The auth route names the user
      When alice checks her credentials
      Then the answer is 200
      And the answer is a JSON object
      And the answer's "username" is alice's user name

  @K-AUTH-1 @kosync
  Rule: kosync confirms valid credentials with 200

    Scenario: The auth route authorizes the user
      When alice checks her credentials
      Then the answer is 200

  @K-AUTH-3 @kosync
  Rule: kosync's answer to valid credentials is {"authorized":"OK"}

    Scenario: The auth route says OK
      When alice checks her credentials
      Then the answer's "authorized" is "OK"

  @S-AUTH-2
  Rule: Missing, unknown or wrong credentials are refused and nothing is revealed

    Scenario Outline: Checking credentials with <credentials>
      Given requests carry <credentials>
      When alice checks her credentials
      Then the answer is a refusal

      Examples:
        | credentials      |
        | no credentials   |
        | only a user name |
        | an unknown user  |
        | a wrong key      |

    Scenario Outline: Pulling with <credentials> reveals nothing
      Given alice has pushed "A" at 0.42 with progress "/body/DocFragment[7]/p[3]"
      And requests carry <credentials>
      When alice pulls "A"
      Then the answer is a refusal
      And the answer does not contain "DocFragment[7]"

      Examples:
        | credentials      |
        | no credentials   |
        | an unknown user  |
        | a wrong key      |

    Scenario Outline: Pushing with <credentials> stores nothing
      Given alice has pushed "A" at 0.25 with progress "before"
      And requests carry <credentials>
      When alice pushes "A" at 0.75 with progress "intruder"
      Then the answer is a refusal
      And alice reads "A" at 0.25 with progress "before"

      Examples:
        | credentials      |
        | no credentials   |
        | only a user name |
        | an unknown user  |
        | a wrong key      |

  @K-AUTH-2 @kosync
  Rule: kosync refuses bad credentials with 401 and error code 2001

    Scenario Outline: <credentials> is unauthorized
      Given requests carry <credentials>
      When alice checks her credentials
      Then the answer is 401
      And the error code is 2001

      Examples:
        | credentials     |
        | a wrong key     |
        | no credentials  |
        | an unknown user |
