class User < ApplicationRecord
  has_secure_password

  has_many :orders, dependent: :destroy
  has_many :addresses, dependent: :destroy
  belongs_to :company, optional: true

  validates :email, presence: true, uniqueness: { case_sensitive: false }
  validates :email, format: { with: URI::MailTo::EMAIL_REGEXP }
  validates :first_name, :last_name, length: { maximum: 100 }

  before_save :normalize_email

  scope :active, -> { where(deactivated_at: nil) }

  def full_name
    [first_name, last_name].compact.join(" ")
  end

  def deactivate!
    update!(deactivated_at: Time.current)
  end

  private

  def normalize_email
    self.email = email.strip.downcase
  end
end
